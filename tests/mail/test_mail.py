"""Mail decoding against the cases in tests/data/mail/: each `<case>.toml` with a [mail] table
names its input and what read_messages() must make of it; one with an [error] table names an
input that is not mail, and the InputError (what, line) it must raise."""

import gzip
import io
import sys
import tomllib
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.mail import read_messages
from toolkit.mail.mbox import raw_mails

DATA = Path(__file__).parents[1] / "data/mail"
CASES = {path.stem: case for path in sorted(DATA.glob("*.toml"))
         if "input" in (case := tomllib.loads(path.read_text()))}
MAIL_CASES = sorted(name for name, case in CASES.items() if "mail" in case)
ERROR_CASES = sorted(name for name, case in CASES.items() if "error" in case)
FILE_CASES = sorted(name for name in MAIL_CASES if (DATA / CASES[name]["input"]).is_file())
assert MAIL_CASES and ERROR_CASES and FILE_CASES, \
    "no cases found: a table that is empty would pass vacuously"


def _plain(value):
    return "none" if value is None else value


def project(messages) -> dict:
    return {
        "messages": [[m.at, _plain(m.subject), m.sender.email if m.sender else "none",
                      len(m.body)] for m in messages],
        "threads": [[i, _plain(m.msgid), _plain(m.in_reply_to), list(m.references)]
                    for i, m in enumerate(messages)],
        "notes": [[i, n.kind, _plain(n.at)] for i, m in enumerate(messages) for n in m.notes],
        "people": [[i, [str(p) for p in m.to], [str(p) for p in m.cc], _plain(m.date)]
                   for i, m in enumerate(messages)],
    }


def body_lines(messages) -> list:
    return [[i, line.text, _plain(line.at)] for i, m in enumerate(messages) for line in m.body]


@pytest.mark.parametrize("name", MAIL_CASES)
def test_mail_case(name):
    case = CASES[name]
    expected = case["mail"]
    messages = list(read_messages(str(DATA / case["input"])))
    got = project(messages)
    assert {key: got[key] for key in expected if key != "body"} == \
        {key: value for key, value in expected.items() if key != "body"}
    # `body` lists decoded lines (message, text, mail line) that must be among the decoded ones
    lines = body_lines(messages)
    assert [line for line in expected.get("body", []) if line not in lines] == []


@pytest.mark.parametrize("name", ERROR_CASES)
def test_error_case(name):
    case = CASES[name]
    with pytest.raises(InputError) as caught:
        list(read_messages(str(DATA / case["input"])))
    assert {"what": caught.value.what, "line": caught.value.line} == case["error"]


@pytest.mark.parametrize("name", FILE_CASES)
def test_every_line_is_in_a_mail_or_a_note(name):
    path = DATA / CASES[name]["input"]
    data = path.read_bytes()
    lines = data.split(b"\n" if b"\n" in data else b"\r")     # a file of CR-only line ends
    lines = lines[:-1] if lines[-1] == b"" else lines
    messages = list(read_messages(str(path)))
    raws = list(raw_mails(str(path)))
    starts = [m.at for m in messages] + [len(lines) + 1]
    # Before the first mail: blank lines, or text that one note names from its first line to its
    # last ("lines 1-2)").
    before = [n for n in range(1, starts[0]) if lines[n - 1].strip()]
    skipped = [note for note in messages[0].notes if note.kind == "skipped"]
    assert [(note.at, note.message.count(f"{before[-1]})")) for note in skipped] == \
        ([(before[0], 1)] if before else [])
    # Between mails at most the empty line before a From_ line is left out: it is the framing's.
    assert [(a.first + len(a.lines), b.at) for a, b in zip(raws, raws[1:])
            if not (a.first + len(a.lines) == b.at or
                    a.first + len(a.lines) == b.at - 1 and not lines[b.at - 2].strip())] == []
    # Each decoded line comes from its own mail's lines, none from a neighbour's.
    assert [(i, line.at) for i, m in enumerate(messages) for line in m.body
            if line.at is not None and not starts[i] <= line.at < starts[i + 1]] == []


def test_gzip_reads_like_the_plain_file(tmp_path):
    packed = tmp_path / "int3-series.mbox.gz"
    packed.write_bytes(gzip.compress((DATA / "int3-series.mbox").read_bytes()))
    assert project(list(read_messages(str(packed)))) == \
        project(list(read_messages(str(DATA / "int3-series.mbox"))))


def test_stdin_reads_like_the_file(monkeypatch):
    data = (DATA / "mboxrd.mbox").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    from_stdin = list(read_messages("-"))
    assert [m.source for m in from_stdin] == ["-", "-"]
    assert body_lines(from_stdin) == body_lines(list(read_messages(str(DATA / "mboxrd.mbox"))))


def test_directory_reads_patch_files_in_name_order():
    messages = list(read_messages(str(DATA / "format-patch")))
    assert [(Path(m.source).name, m.at) for m in messages] == [
        ("0000-cover-letter.patch", 1),
        ("0001-x86-entry-32-build-a-full-frame.patch", 1),
        ("0002-x86-allow-int3_emulate_push-on-32-bit.patch", 1)]


def _damaged_gzip() -> bytes:
    packed = bytearray(gzip.compress(b"From: a@example.org\nSubject: x\n\nhello\n"))
    packed[12] ^= 0xFF      # early in the deflate stream, past the 10-byte gzip header
    packed[13] ^= 0x55
    return bytes(packed)


@pytest.mark.parametrize("name, content, message", [
    # a path that does not exist
    ("absent.mbox", None, "cannot read"),
    # a file with nothing in it
    ("empty.mbox", b"", "no mail in this file"),
    # a file with only blank lines
    ("blank.mbox", b"\n\n", "no mail in this file"),
    # a directory without a single *.patch, *.eml or *.mbox
    ("", None, "no mail files in this directory"),
    # a gzip cut short
    ("cut.mbox.gz", gzip.compress(b"From x Mon Sep 17 00:00:00 2001\n" * 50)[:20], "cannot read"),
    # a gzip whose compressed data is damaged (zlib, not gzip, notices)
    ("damaged.mbox.gz", _damaged_gzip(), "cannot read"),
])
def test_unreadable_input_is_an_input_error_naming_the_path(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        list(read_messages(str(path)))
    assert (caught.value.path, message in str(caught.value)) == (str(path), True)


def test_text_that_is_no_mail_names_the_line():
    with pytest.raises(InputError) as caught:
        list(read_messages(str(DATA / "not-a-mail.txt")))
    assert (caught.value.line, caught.value.what) == (1, "not a mail")


def test_messages_are_streamed():
    # a generator: nothing is read before the first message is asked for
    messages = read_messages(str(DATA / "int3-series.mbox"))
    first = next(messages)
    assert (first.at, first.subject) == (1, "[RFC][PATCH 0/3] x86: let int3 emulate calls")


def test_a_maildir_is_read_in_delivery_order():
    # two mails already seen (cur/), two not yet (new/): one sequence, by the time of delivery
    found = [m.subject for m in read_messages(str(DATA.parent / "maildir"))]
    assert found == ["[PATCH 0/2] x86/alternatives: name the int3 sites",
                     "[PATCH 1/2] x86/alternatives: name the selftest site",
                     "[PATCH 2/2] x86/alternatives: print the site name",
                     "Re: [PATCH 1/2] x86/alternatives: name the selftest site"]
