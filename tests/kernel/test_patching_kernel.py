"""A real tree's own int3 batch and handler (alternative.c) on the patching table: every tree
runs clean, and each fault of tests/data/mutants/kernel/patching/, made to a copy of the file at
test time, is caught by the sequence it names. `check --tree` on a patch that takes back the fix
of the 2025 era (2aebf5ee43bf) names the sequence and the patch's line."""

import shutil
import tomllib
from pathlib import Path

import pytest

from gitrepos import commit_as_mail, git
from kernel.kerneltrees import PATCHING_TREES, tree_id
from toolkit.checks import catalogue, trial
from toolkit.cmodel import header as cheader
from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.validate import alternative, patching
from toolkit.validate.code import generated_code
from toolkit.validate.scenarios import Status
from toolkit.x86 import ALTERNATIVE_C, TEXT_PATCHING_H

pytestmark = pytest.mark.kernel

MUTANTS = sorted((Path(__file__).parents[1] / "data/mutants/kernel/patching").glob("*.toml"))
assert len(MUTANTS) >= 8, "the planted faults are missing"


def _run(tree: Path, text: str | None = None):
    header = cheader.read_header(str(tree / TEXT_PATCHING_H))
    return patching.run_texts(text or (tree / ALTERNATIVE_C).read_text(), header,
                              generated_code("x86_64").prelude)


def _mutated(text: str, mutant: dict) -> str | None:
    """The mutant's edits made to `text`, each by the first of its spellings found once there;
    None when an edit has no spelling the text has."""
    for edit in mutant["edit"]:
        found = next((n for n, old in enumerate(edit["old"]) if text.count(old) == 1), None)
        if found is None:
            return None
        text = text.replace(edit["old"][found], edit["new"][found])
    return text


@pytest.mark.parametrize("tree", PATCHING_TREES, ids=tree_id)
def test_the_tree_batch_passes_every_sequence(tree):
    outcomes = _run(tree)
    assert [o for o in outcomes if o.status is Status.PASSED], "nothing ran"
    assert not [(o.sequence.name, o.reason) for o in outcomes
                if o.status in (Status.FAILED, Status.ERROR)]


@pytest.mark.parametrize("tree", PATCHING_TREES, ids=tree_id)
@pytest.mark.parametrize("path", MUTANTS, ids=[p.stem for p in MUTANTS])
def test_a_planted_fault_is_caught(path, tree):
    mutant = tomllib.loads(path.read_text())
    text = (tree / ALTERNATIVE_C).read_text()
    era = alternative.find_batch(text).era
    if mutant.get("era") and not era.startswith(mutant["era"]):
        pytest.skip(f"{tree.name} is of the {era} era; the fault is of {mutant['era']}")
    if not alternative.find_batch(text).has("queue") and not mutant.get("single_poke_era"):
        pytest.skip(f"{tree.name} is of the {era} era; the fault is of a batch with a queue")
    mutated = _mutated(text, mutant)
    assert mutated is not None, f"{path.stem}: no spelling of an edit is in {tree.name}"
    outcomes = _run(tree, mutated)
    caught = {o.sequence.name: o for o in outcomes if o.status is Status.FAILED}
    assert mutant["caught_by"] in caught, [(o.sequence.name, o.status) for o in outcomes]
    assert caught[mutant["caught_by"]].reason.startswith(mutant["caught_as"])


def _check(tree: Path, mutated: str, tmp_path, monkeypatch):
    """INT3_PATCHING_BROKEN's findings on a one-patch series that makes the tree's alternative.c
    `mutated`, in a small repository of the tree's alternative.c and text-patching.h."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = tmp_path / "linux"
    for name in (ALTERNATIVE_C, TEXT_PATCHING_H):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree / name, repo / name)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    (repo / ALTERNATIVE_C).write_text(mutated)
    series = read_series(str(commit_as_mail(
        repo, "x86/alternatives: Change the batch\n\nSigned-off-by: Test Author "
        "<author@example.org>", tmp_path / "series.mbox")))
    trials = trial.Trials()
    found = catalogue.run(series, [catalogue.lookup("INT3_PATCHING_BROKEN")],
                          paths=int3path.from_repository(series, str(repo)), trials=trials)
    return series, found, trials


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("tree", PATCHING_TREES, ids=tree_id)
def test_check_tree_reports_the_fix_taken_back(tree, tmp_path, monkeypatch):
    mutant = tomllib.loads((MUTANTS[0].parent / "single_appends_to_queue.toml").read_text())
    mutated = _mutated((tree / ALTERNATIVE_C).read_text(), mutant)
    if mutated is None:
        pytest.skip(f"{tree.name} has no 2025-era smp_text_poke_single()")
    series, found, _ = _check(tree, mutated, tmp_path, monkeypatch)
    assert [f.level.name for f in found] == ["ERROR"]
    assert "batch/single-after-queue" in found[0].message
    assert "__smp_text_poke_batch_add" in series.patches[0].line_at(found[0].mbox_at.line).text


@pytest.mark.usefixtures("isolated_git")
@pytest.mark.parametrize("tree", PATCHING_TREES, ids=tree_id)
def test_check_tree_passes_a_comment_in_the_batch_and_names_a_dropped_sync(tree, tmp_path,
                                                                          monkeypatch):
    text = (tree / ALTERNATIVE_C).read_text()
    line = "\tsmp_wmb();\n"
    assert text.count(line) == 1
    _, found, trials = _check(tree, text.replace(line, line + "\t/* checked */\n"),
                              tmp_path / "a", monkeypatch)
    assert found == [] and list(trials.tried)
    mutant = tomllib.loads((MUTANTS[0].parent / "sync_missing.toml").read_text())
    series, found, _ = _check(tree, _mutated(text, mutant), tmp_path / "b", monkeypatch)
    assert [f.level.name for f in found] == ["ERROR"] and "a torn instruction" in found[0].message


@pytest.mark.parametrize("tree", PATCHING_TREES, ids=tree_id)
def test_validate_tree_reports_the_patching_table(tree, capsys):
    import json

    from toolkit.cli import main

    assert main(["validate", "--tree", str(tree), "--arch", "x86_64", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    [patching_group] = report["patching"]
    statuses = {o["status"] for o in patching_group["outcomes"]}
    assert "passed" in statuses and statuses <= {"passed", "skipped"}
