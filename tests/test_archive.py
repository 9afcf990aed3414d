"""An archive read as a stream: mails tied into groups, closed groups checked in workers, in order."""

import json
from pathlib import Path

import pytest

from toolkit import archive
from toolkit.cli import main
from toolkit.mail import read_messages
from toolkit.mail.mbox import raw_mails
from toolkit.series.assemble import group

MANY = Path(__file__).parent / "data" / "series" / "many.mbox"


def _subjects(groups) -> list[list[str]]:
    return [[m.envelope().subject for m in group] for group in groups]


def test_mails_are_tied_by_thread_posting_and_subject():
    groups = _subjects(archive.closed_groups(raw_mails(str(MANY))))
    # v1 and v2 of the first series, with the review; the unthreaded posting and the same
    # sender's later one; the lone patch; the pull request; the reply to an absent patch;
    # the notification
    assert [len(g) for g in groups] == [7, 4, 1, 1, 1, 1]
    assert groups[0][3].startswith("Re: [PATCH 1/2]") and groups[1][3].endswith("different series")


def test_a_thread_nobody_joined_within_the_window_is_closed_early():
    # with a window of two mails, v2 comes too late to join v1: it is read as a thread of its own
    groups = _subjects(archive.closed_groups(raw_mails(str(MANY)), window=2))
    assert groups[0] == ["[PATCH 0/2] x86/alternatives: name the int3 sites",
                         "[PATCH 1/2] x86/alternatives: name the selftest site",
                         "[PATCH 2/2] x86/alternatives: print the site name",
                         "Re: [PATCH 1/2] x86/alternatives: name the selftest site"]
    assert sum(len(g) for g in groups) == 15


def test_workers_find_what_one_process_finds_in_the_same_order(capsys):
    lines = {}
    for jobs in ("1", "2"):
        assert main(["check", str(MANY), "--format", "jsonl", "--jobs", jobs]) == 0
        lines[jobs] = capsys.readouterr().out.splitlines()
    assert lines["1"] == lines["2"]
    series = [json.loads(line) for line in lines["2"][:-1]]
    summary = json.loads(lines["2"][-1])["summary"]
    assert [s["series"]["id"] for s in series] == [
        "<a2-0@example.org>", "<c-1@example.org>", "<c2-1@example.org>", "<d-1@example.org>",
        "<notice-1@example.org>"]
    assert [len(s["findings"]) for s in series] == [0, 0, 1, 0, 0]
    assert (summary["series"], summary["mails"], summary["skipped"], summary["notes"]) == (
        5, 15, 2, 1)


def test_archive_mode_groups_a_file_as_the_series_reader_does():
    # The archive ties mails with the keys of toolkit.series.grouping while it streams; each
    # closed group is then sorted into series as a whole file would be. Both must agree.
    def series_of(messages, source):
        return sorted(tuple(sorted((p.msgid or "", p.at) for p in (s.cover, *s.patches) if p))
                      for s in group(messages, source).series)

    data = Path(__file__).parent / "data"
    files = sorted([*data.glob("series/*.mbox"), *data.glob("mail/*.mbox"),
                    *data.glob("check/*.mbox")])
    assert len(files) > 20
    for path in files:
        whole = series_of(read_messages(str(path)), str(path))
        streamed = sorted(s for g in archive.closed_groups(raw_mails(str(path)), window=50)
                          for s in series_of([m.decoded() for m in g], str(path)))
        assert streamed == whole, path


@pytest.mark.slow
@pytest.mark.parametrize("start", ["fork", "forkserver", "spawn"])
def test_the_limits_reach_workers_started_by_any_method(start, tmp_path, monkeypatch):
    # A series whose code is a `.rept` bomb, and another mail, so that workers are started: the
    # bomb is stopped by the limits the settings carry (1 s of CPU, not the default 10),
    # whichever way the workers were started.
    import tomllib

    from hostilemail import SERIES, mail
    from toolkit.checks import catalogue
    from toolkit.checks.trial import Trials
    from toolkit.emulate.limits import Limits

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    row = next(row for row in tomllib.loads((SERIES.parent / "build.toml").read_text())["row"]
               if row["name"] == "rept")
    text = SERIES.read_text()
    for old, new in row["edit"]:
        text = text.replace(old, new)
    path = tmp_path / "archive.mbox"
    path.write_text(text + "\n" + mail())
    settings = archive.Settings(str(path), tuple(rule.name for rule in catalogue.RULES),
                                trials=Trials.bounded(Limits(cpu=1, wall=5), 60))
    done = list(archive.check(raw_mails(str(path)), settings, jobs=2, start=start))
    found = [f for group in done for checked in group.checked for f in checked.findings]
    limits = [f.message for f in found if f.rule == "BUILD_LIMIT"]
    assert limits and all("/ 1 s" in message for message in limits)
    assert len(done) == 2
