"""Many series in one mbox: grouped by thread, posting, sender and subject; what is no patch is counted."""

import tomllib
from pathlib import Path

import pytest

from toolkit.errors import UsageError
from toolkit.mail import read_messages
from toolkit.series.assemble import group

DATA = Path(__file__).parents[1] / "data" / "series"
CASES = sorted(path.stem for path in DATA.glob("*.mbox"))
assert CASES, "no cases found: a table that is empty would pass vacuously"


def _archive(case: str, **options):
    path = DATA / f"{case}.mbox"
    return group(read_messages(str(path)), str(path), **options)


@pytest.mark.parametrize("case", CASES)
def test_series_of_an_mbox(case):
    expected = tomllib.loads((DATA / f"{case}.toml").read_text())
    archive = _archive(case)
    assert (archive.mails_read, archive.skipped) == (expected["mails"], expected["skipped"])
    assert [{"name": s.name, "revision": s.revision, "revisions": list(s.revisions),
             "patches": [p.index for p in s.patches], "missing": list(s.missing),
             "authors": [p.author.email for p in s.patches]} for s in archive.series] \
        == expected["series"]


def test_one_series_is_picked_by_any_of_its_messages():
    # a reply to patch 1 of v1 picks the series; the newest revision is still the one checked
    (series,) = _archive("many", pick="<b-r1@example.org>").series
    assert (series.name, series.revision) == ("<a2-0@example.org>", 2)
    (older,) = _archive("many", pick="a1-2@example.org", revision=1).series
    assert (older.name, [p.followups[0].author.email for p in older.patches[:1]]) == (
        "<a1-0@example.org>", ["bruno@example.org"])


def test_a_revision_applies_to_every_series_that_has_it():
    assert [s.name for s in _archive("many", revision=2).series] == ["<a2-0@example.org>"]
    with pytest.raises(UsageError, match="no revision 7"):
        _archive("many", revision=7)


def test_an_unknown_message_is_a_usage_error():
    with pytest.raises(UsageError, match="no series with message <nowhere@example.org>"):
        _archive("many", pick="nowhere@example.org")


def test_a_relayed_mail_names_its_real_author():
    notice = next(s for s in _archive("many").series if s.name == "<notice-1@example.org>")
    patch = notice.patches[0]
    assert (patch.author.name, patch.relayed, patch.subject, patch.message[0].text) == (
        "Dev Patel", True, "x86/kprobes: spell out the int3 size",
        "Use the named size instead of a bare one.")


def test_the_same_mail_twice_is_one_mail():
    # a mail cross-posted to two lists reaches an archive of both twice, with one message id
    path = DATA / "many.mbox"
    messages = list(read_messages(str(path)))
    once, twice = group(messages, str(path)), group(messages + messages, str(path))
    assert [s.name for s in twice.series] == [s.name for s in once.series]
    assert (twice.mails_read, twice.skipped) == (30, once.skipped + 15)
    assert not any(s.duplicates for s in twice.series)


def test_a_notice_in_a_thread_follows_up_the_patch_it_answers():
    # a merge notice carries the patch again; inside the thread it answers, it is no second copy
    series = _archive("in-thread").series[0]
    assert not series.duplicates
    assert [[f.author.email for f in p.followups] for p in series.patches] == [
        ["bot@example.org"], []]
