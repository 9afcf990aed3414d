"""Properties of the readers over generated input (Hypothesis): mail, subjects, diffs and grouping never crash or hang.

Each property has a deadline per example and a small number of examples, so that the suite stays
fast. Every run draws new examples (no example database is kept in the worktree); a failure
prints the falsifying example and the `@reproduce_failure` blob that replays it.
"""

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import archive
from toolkit.errors import InputError, UsageError
from toolkit.mail import read_messages
from toolkit.mail.mbox import raw_mails
from toolkit.mail.message import Line
from toolkit.series.assemble import group
from toolkit.series.diff import parse_diff
from toolkit.series.subject import NUMBER_CAP, parse_subject

BOUNDED = settings(max_examples=30, deadline=timedelta(seconds=2), database=None,
                   print_blob=True, suppress_health_check=[HealthCheck.too_slow])

# Lines a mail is made of, hostile ones among them: separators, headers, MIME, encodings.
_LINES = st.sampled_from([
    "From sam Mon Sep 17 00:00:00 2001", "From mboxrd@z Thu Jan  1 00:00:00 1970",
    ">From the start", ">>From here", "From: Sam Okafor <sam@example.org>",
    "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>", "Subject: [PATCH v2 1/2] x86: gap",
    "Subject: Re: [PATCH 2/2] x86: gap", "Subject: [PATCH 1/999999999] x", "Message-ID: <1@x>",
    "Message-ID: <2@x>", "In-Reply-To: <1@x>", "References: <1@x> <2@x>", "Cc: a@x,", " b@x",
    "\tc <c@x>", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="b"',
    "Content-Type: text/plain; charset=utf-16", "Content-Transfer-Encoding: base64",
    "Content-Transfer-Encoding: quoted-printable", "--b", "--b--", "aGVsbG8K", "=E2=82=AC=",
    "x=", "", "", "Signed-off-by: Sam Okafor <sam@example.org>", "---",
    " a.c | 2 +-", " 1 file changed, 1 insertion(+), 1 deletion(-)",
    "diff --git a/a.c b/a.c", "--- a/a.c", "+++ b/a.c", "@@ -1,2 +1,2 @@", "@@ -1 +1 @@",
    " int a;", "-int b;", "+int c;", "\\ No newline at end of file", "-- ", "2.40.0"])
_ENDS = st.sampled_from(["\n", "\r\n", "\r", ""])
_MAIL = st.lists(st.tuples(st.one_of(_LINES, st.text(max_size=40)), _ENDS), max_size=60)


def _file(data: bytes) -> str:
    handle = tempfile.NamedTemporaryFile(suffix=".mbox", delete=False)
    with handle:
        handle.write(data)
    return handle.name


def _mail_bytes(pieces) -> bytes:
    return "".join(text + end for text, end in pieces).encode("utf-8", "surrogatepass")


@BOUNDED
@given(_MAIL)
def test_reading_mail_ends_in_messages_or_an_input_error(pieces):
    path = _file(_mail_bytes(pieces))
    try:
        messages = list(read_messages(path))
    except InputError as error:
        assert error.path == path
        return
    finally:
        Path(path).unlink()
    assert messages
    for message in messages:
        assert all(line.at is None or line.at >= 1 for line in message.body)


@BOUNDED
@given(st.binary(max_size=2000))
def test_reading_any_bytes_ends_in_messages_or_an_input_error(data):
    path = _file(data)
    try:
        list(read_messages(path))
    except InputError:
        pass
    finally:
        Path(path).unlink()


@BOUNDED
@given(st.text(max_size=200))
def test_a_subject_parses_back_to_itself_with_bounded_numbers(raw):
    subject = parse_subject(raw)
    assert str(subject) == raw
    for number in (subject.counter, subject.expected, subject.revision):
        assert number is None or 0 <= number <= NUMBER_CAP


@BOUNDED
@given(st.lists(st.from_regex(r"\[(RFC |PATCH |v[0-9]{1,30} |[0-9]{1,30}/[0-9]{1,30} )*\]",
                              fullmatch=True), max_size=4), st.text(max_size=30))
def test_tags_of_any_numbers_parse(tags, text):
    subject = parse_subject(" ".join(tags) + " " + text)
    assert subject.expected is None or subject.expected <= NUMBER_CAP


_DIFF_LINES = st.lists(st.one_of(_LINES, st.from_regex(r"[-+ @\\][ -~]{0,30}", fullmatch=True),
                                 st.from_regex(r"@@ -[0-9]{1,12}(,[0-9]{1,12})? \+[0-9]{1,12}"
                                               r"(,[0-9]{1,12})? @@", fullmatch=True)),
                       max_size=60)


@BOUNDED
@given(_DIFF_LINES)
def test_a_diff_parses_or_says_what_it_could_not_read(texts):
    lines = [Line(text, k) for k, text in enumerate(texts, 1)]
    files, notes = parse_diff(lines)
    for diff in files:
        for hunk in diff.hunks:
            assert all(line.at in range(1, len(lines) + 1) for line in hunk.lines)
    assert all(note.at is None or 1 <= note.at <= len(lines) for note in notes)


@BOUNDED
@given(st.lists(_MAIL, min_size=1, max_size=6))
def test_grouping_keeps_every_mail_once(mails):
    data = b"".join(b"From x Mon Sep 17 00:00:00 2001\n" + _mail_bytes(pieces) + b"\n\n"
                    for pieces in mails)
    path = _file(data)
    try:
        raw = list(raw_mails(path))
        groups = list(archive.closed_groups(raw, window=2))
        assert sorted(id(m) for g in groups for m in g) == sorted(id(m) for m in raw)
        for mails_of_group in groups:
            try:
                grouped = group([m.decoded() for m in mails_of_group], path)
            except (InputError, UsageError):
                continue
            assert grouped.mails_read == len(mails_of_group)
    except InputError:
        pass
    finally:
        Path(path).unlink()
