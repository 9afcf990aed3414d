"""The toolkit's reading of a patch mail against git's own: `git mailinfo` (who wrote it, the
subject, where the message ends) and `git interpret-trailers --parse` (the trailer block), run
on every mail of the fixtures. Where the toolkit deliberately reads a mail otherwise, the table
below names the mail and says why."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from toolkit.mail.mbox import raw_mails
from toolkit.series.patch import patch_of
from toolkit.series.subject import parse_subject

DATA = Path(__file__).parents[1] / "data"
# Every file of the fixtures that holds mail (the maildir is read as one).
SOURCES = sorted({str(p) for suffix in ("*.mbox", "*.eml", "*.patch")
                  for p in DATA.rglob(suffix)} | {str(DATA / "maildir")})
assert len(SOURCES) > 100, "the fixtures moved: the differential tests would check nothing"

# (file name, message id) -> why the toolkit's author differs from git mailinfo's.
AUTHOR_DIFFERS = {
    ("relayed-senders.mbox", "relayed-1@example.org"):
        "a commit notification: the author is its Author: line, which git reads as text",
    ("relayed-senders.mbox", "relayed-2@example.org"):
        "'Name via Example Relay' is a list's rewrite of From:; the person is Name",
    ("in-thread.mbox", "notice-h1@example.org"):
        "a commit notification: the author is its Author: line, which git reads as text",
    ("many.mbox", "notice-1@example.org"):
        "a commit notification: the author is its Author: line, which git reads as text",
    ("list-munged.mbox", "munged-1@example.org"):
        "the list rewrote From: for DMARC; X-Original-From: names the sender",
    ("list-munged.mbox", "munged-2@example.org"):
        "the list rewrote From: and left the sender in Reply-To: only",
    ("list-munged.mbox", "munged-3@example.org"):
        "B4 Relay sends from its own address; X-Original-From: names the sender",
    **{("list-munged-postings.mbox", f"m-{who}@example.org"):
       "the list rewrote From: for DMARC; X-Original-From: names the sender"
       for who in ("a1", "a2", "b1", "b2")},
    ("like-this-reply.mbox", "like-this-1@example.org"):
        "a reply carrying a patch below '---' with its own From: (git am --scissors reads it)",
    ("sign-off-chain-relayed.mbox", "chain-review-12@example.org"):
        "a stable review posting: the author's From: stands under the queue's banner",
    ("like-this-reply.mbox", "like-this-2@example.org"):
        "a reply carrying a patch below a scissors line with its own From:",
}
# (file name, message id) -> why the toolkit's message ends elsewhere than git mailinfo's.
SPLIT_DIFFERS = {
    ("sign-off-chain-relayed.mbox", "chain-review-12@example.org"):
        "a stable review posting: its banner and From: line are no part of the commit",
    ("relayed-senders.mbox", "relayed-1@example.org"):
        "a commit notification: its banner and Commit-ID: fields are no part of the commit",
    ("in-thread.mbox", "notice-h1@example.org"):
        "a commit notification: its banner and Commit-ID: fields are no part of the commit",
    ("many.mbox", "notice-1@example.org"):
        "a commit notification: its banner and Commit-ID: fields are no part of the commit",
    ("multipart.mbox", "mp-2@example.org"):
        "the HTML alternative of a multipart mail is left out; git keeps it as text",
    ("like-this-reply.mbox", "like-this-1@example.org"):
        "the reply's own words above '---' are not the commit message of the patch it carries",
    ("like-this-reply.mbox", "like-this-2@example.org"):
        "the reply's own words above the scissors line are not the commit message",
    ("list-footer.mbox", "list-footer-1@example.org"):
        "the footer a Google Group adds to the text part is the list's, not the author's text",
}


def _git(*args: str, stdin: bytes, cwd: str) -> bytes | None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": cwd, "LC_ALL": "C"}
    done = subprocess.run(["git", *args], input=stdin, cwd=cwd, env=env, capture_output=True)
    return done.stdout if done.returncode == 0 else None


UNREAD: list[tuple[str, str]] = []


def _text(data: bytes) -> str:
    # git prints an in-body From: of a latin-1 part as it found it, unconverted
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _mails(tmp_path):
    for source in SOURCES:
        for raw in raw_mails(source):
            message = raw.decoded()
            if not message.body or message.msgid is None:
                continue
            info = _git("mailinfo", "msg", "patch", stdin=b"".join(raw.lines), cwd=str(tmp_path))
            if info is None:
                UNREAD.append((Path(source).name, message.msgid))
                continue
            fields = dict(line.split(": ", 1) for line in _text(info).splitlines() if ": " in line)
            msg = (tmp_path / "msg").read_text("utf-8", "replace")
            subject = parse_subject(message.subject)
            yield Path(source).name, message, fields, msg, patch_of(
                message, subject, 1, 1, 1, ())


def _words(text: str, guessed: bool = False) -> list[str]:
    # where the mail declares no charset git keeps its bytes and the toolkit guesses one
    # (noted as a finding): the two agree on the ASCII letters
    if guessed:
        text = re.sub(r"[^\x00-\x7f]+", "?", text)
    return text.split()


def _ours(patch, guessed: bool) -> list[str]:
    """The words of the commit message as the toolkit read it: message, trailers and notes."""
    items = [(line.at or 0, line.text) for line in (*patch.message, *patch.notes)]
    items += [(t.at or 0, str(t)) for t in patch.trailers]
    return _words("\n".join(text for _, text in sorted(items, key=lambda item: item[0])), guessed)


def test_author_subject_and_split_agree_with_git_mailinfo(tmp_path):
    compared, differing = 0, set()
    for name, message, fields, msg, patch in _mails(tmp_path):
        if not patch.files:
            continue  # no diff, no commit: git mailinfo then ignores in-body headers, git am fails
        key = (name, message.msgid)
        guessed = any(note.kind in ("charset", "replaced") for note in message.notes)
        author = _words(f"{patch.author.name or patch.author.email} {patch.author.email}", guessed)
        expected = _words(f"{fields.get('Author', '')} {fields.get('Email', '')}", guessed)
        if key in AUTHOR_DIFFERS:
            assert author != expected, f"{key} now agrees; stale: {AUTHOR_DIFFERS[key]}"
            differing.add(key)
        else:
            assert author == expected, key
        assert _words(patch.subject, guessed) == _words(fields.get("Subject", ""), guessed), key
        if key in SPLIT_DIFFERS:
            assert _ours(patch, guessed) != _words(msg, guessed), \
                f"{key} now agrees; stale: {SPLIT_DIFFERS[key]}"
        else:
            assert _ours(patch, guessed) == _words(msg, guessed), key
        compared += 1
    assert compared > 100 and differing == set(AUTHOR_DIFFERS), (compared, differing)


def test_git_refuses_only_mails_the_toolkit_reads_with_a_note(tmp_path):
    # git mailinfo stops at a charset it cannot convert (a fuzzed name, UTF-16 declared as
    # something else); the toolkit reads those mails as far as it can and says what it guessed
    notes = {(name, message.msgid): message.notes for name, message, *_ in _mails(tmp_path)}
    assert UNREAD and notes
    for name, msgid in UNREAD:
        raw = next(raw for source in SOURCES if Path(source).name == name
                   for raw in raw_mails(source) if raw.decoded().msgid == msgid)
        assert any(note.kind in ("charset", "replaced", "encoding")
                   for note in raw.decoded().notes), (name, msgid)


def _git_trailers(subject: str, msg: str, cwd: str) -> list[str]:
    out = _git("interpret-trailers", "--parse", stdin=f"{subject}\n\n{msg}".encode(), cwd=cwd)
    assert out is not None
    return [" ".join(line.split()) for line in out.decode().splitlines()]


def _trailers(patch) -> list[str]:
    return [" ".join(f"{t.name}: {t.value}".split()) for t in patch.trailers]


def test_trailers_agree_with_git_interpret_trailers(tmp_path):
    compared = 0
    for name, message, _, msg, patch in _mails(tmp_path):
        if not patch.files or (name, message.msgid) in SPLIT_DIFFERS:
            continue  # as above: no commit, or a message read otherwise on purpose
        expected = _git_trailers(patch.subject, msg, str(tmp_path))
        if not patch.trailers and expected and not _cited(expected):
            continue  # a paragraph of "v2: ..." lines: git's trailers, the toolkit's prose
        assert _trailers(patch) == expected, (name, message.msgid)
        compared += 1
    assert compared > 100


def _cited(trailers: list[str]) -> bool:
    return any(t.split(":")[0].lower().endswith("-by") or t.split(":")[0].lower() in
               ("fixes", "cc", "link", "closes", "bug", "message-id") for t in trailers)


SHAPES = (DATA / "mail" / "trailer-shapes.txt").read_text("utf-8").split("\n%% ")[1:]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.splitlines()[0] for s in SHAPES])
def test_trailer_shapes_agree_with_git(shape, tmp_path):
    title, _, text = shape.partition("\n")
    mail = tmp_path / "shape.eml"
    mail.write_text(f"From: Ada Quinn <ada@example.org>\nSubject: [PATCH] x86: {title}\n"
                    f"Message-ID: <shape@example.org>\n\n{text}\n---\n"
                    "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1,2 @@\n x\n+y\n",
                    encoding="utf-8")
    raw = next(raw_mails(str(mail)))
    patch = patch_of(raw.decoded(), parse_subject(f"[PATCH] x86: {title}"), 1, 1, 1, ())
    assert _trailers(patch) == _git_trailers(f"x86: {title}", text, str(tmp_path))
