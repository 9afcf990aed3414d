"""Subject-tag parsing against the rows of tests/data/mail/subjects.toml."""

import tomllib
from pathlib import Path

import pytest

from toolkit.series.subject import parse_subject

ROWS = tomllib.loads((Path(__file__).parents[1] / "data/mail/subjects.toml").read_text())["rows"]


def _plain(value):
    return "none" if value is None else value


@pytest.mark.parametrize("row", ROWS, ids=[row[0][:40] or "(empty)" for row in ROWS])
def test_subject_row(row):
    s = parse_subject(row[0])
    assert [s.text, list(s.prefixes), s.revision, _plain(s.counter), _plain(s.expected),
            s.reply, s.forward] == row[1:]


def test_str_gives_the_subject_back():
    raw = "Re: [RFC][PATCH v2 2/3] x86_64: allow int3 to emulate calls"
    assert str(parse_subject(raw)) == raw


def test_patch_rfc_resend_and_explicit_revision():
    s = parse_subject("[RFC PATCH RESEND v1 1/2] x")
    assert (s.is_patch, s.rfc, s.resend, s.revision, s.revision_given) == \
        (True, True, True, 1, True)
    plain = parse_subject("a question about the gap")
    assert (plain.is_patch, plain.rfc, plain.resend, plain.revision_given) == \
        (False, False, False, False)


def test_missing_subject_parses_as_empty():
    assert (parse_subject(None).text, parse_subject(None).raw) == ("", "")
