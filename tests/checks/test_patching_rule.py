"""INT3_PATCHING_BROKEN: a patch to the int3 batch of alternative.c, checked with --tree on a small
repository holding the test batch (tests/data/patching/alternative.c) and the generated helpers,
and without a tree."""

import tomllib
from pathlib import Path

import pytest

from gitrepos import commit_as_mail, git
from toolkit.checks import catalogue, trial
from toolkit.checks.findings import Level
from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.validate.code import generated_code
from toolkit.x86 import ALTERNATIVE_C, TEXT_PATCHING_H

pytestmark = pytest.mark.usefixtures("isolated_git")

DATA = Path(__file__).parents[1] / "data" / "patching"
FAULTS = {f["name"]: f for f in tomllib.loads((DATA / "faults.toml").read_text())["fault"]}
RULE = [catalogue.lookup("INT3_PATCHING_BROKEN")]


def _series(tmp_path, old, new, subject="x86/alternatives: change the batch"):
    """A repository with the batch and helpers, and a one-patch series replacing `old` by `new`."""
    repo = tmp_path / "linux"
    (repo / ALTERNATIVE_C).parent.mkdir(parents=True)
    (repo / TEXT_PATCHING_H).parent.mkdir(parents=True)
    (repo / ALTERNATIVE_C).write_text((DATA / "alternative.c").read_text())
    (repo / TEXT_PATCHING_H).write_text(generated_code("x86_64").header
                                        + "#define POKE_MAX_OPCODE_SIZE 5\n")
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    text = (repo / ALTERNATIVE_C).read_text()
    assert text.count(old) == 1
    (repo / ALTERNATIVE_C).write_text(text.replace(old, new))
    mbox = commit_as_mail(repo, f"{subject}\n\nSigned-off-by: Test Author <author@example.org>",
                          tmp_path / "series.mbox")
    return repo, read_series(str(mbox))


@pytest.fixture(autouse=True)
def trials(tmp_path, monkeypatch):
    """A cache and trials of the test's own: nothing tried before is remembered."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return trial.Trials()


def test_a_fault_in_the_batch_is_an_error_at_its_line(tmp_path, trials):
    fault = FAULTS["vector-one-short"]
    repo, series = _series(tmp_path, fault["old"], fault["new"])
    found = catalogue.run(series, RULE, paths=int3path.from_repository(series, str(repo)),
                          trials=trials)
    assert [(f.level, f.file_at.path) for f in found] == [(Level.ERROR, ALTERNATIVE_C)]
    assert "single/nop5-to-call" in found[0].message and "not claim" in found[0].message
    assert series.patches[0].line_at(found[0].mbox_at.line).text.strip() == fault["new"]
    assert "<-- here" in found[0].evidence["picture"]


def test_a_comment_in_the_batch_runs_the_table_and_passes(tmp_path, trials):
    line = "\tsmp_wmb();\n"
    repo, series = _series(tmp_path, line, line + "\t/* the handler may run from here */\n")
    assert catalogue.run(series, RULE, paths=int3path.from_repository(series, str(repo)),
                         trials=trials) == []
    assert list(trials.tried) and all(not r.failed and not r.error
                                      for r in trials.tried.values())


def test_a_change_outside_the_batch_runs_nothing(tmp_path, trials):
    repo, series = _series(tmp_path, "static void unrelated_after(void)\n{\n",
                           "static void unrelated_after(void)\n{\n\t/* nothing */\n")
    assert catalogue.run(series, RULE, paths=int3path.from_repository(series, str(repo)),
                         trials=trials) == []
    assert not trials.tried


def test_without_a_tree_a_change_to_the_batch_gets_a_note(tmp_path):
    fault = FAULTS["vector-one-short"]
    _, series = _series(tmp_path, fault["old"], fault["new"])
    found = catalogue.run(series, RULE)
    assert [f.level for f in found] == [Level.NOTE]
    assert "--tree" in found[0].message and found[0].file_at.path == ALTERNATIVE_C


def test_a_review_reply_shows_the_site_over_the_steps(tmp_path, capsys):
    from toolkit.cli import main

    fault = FAULTS["no-sync-after-int3"]
    repo, _ = _series(tmp_path, fault["old"], fault["new"])
    status = main(["check", str(tmp_path / "series.mbox"), "--tree", str(repo), "--format", "email"])
    assert status == 1
    reply = capsys.readouterr().out
    assert "(INT3_PATCHING_BROKEN)" in reply and "as another CPU may fetch it:" in reply
    assert "<-- here" in reply
