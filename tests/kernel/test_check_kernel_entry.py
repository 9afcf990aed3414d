"""`toolkit check --tree` on a series that changes a real tree's own entry code: each kernel
mutant of tests/data/mutants/kernel/ is made into a one-patch series against a small repository
holding the tree's int3 path files, and ENTRY_FRAME_CORRUPTED must name a line the patch adds
or removes in that file. The repository and the patch are made under tmp_path; no kernel text is kept."""

import shutil
import tomllib
from pathlib import Path

import pytest

from gitrepos import commit_as_mail, git
from kernel.kerneltrees import TREES, apply_mutant, other_era, tree_id
from toolkit.checks import catalogue, trial
from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.x86 import (
    ENTRY_32,
    ENTRY_64,
    ENTRY_BESIDE,
    ENTRY_PIECES,
    FRED_ENTRY_S,
    TEXT_PATCHING_H,
)

pytestmark = [pytest.mark.kernel, pytest.mark.usefixtures("isolated_git")]

MUTANTS = sorted((Path(__file__).parents[1] / "data/mutants/kernel").glob("*.toml"))
assert MUTANTS, "no cases found: a table that is empty would pass vacuously"
# What a state of the int3 path reads from a tree, and calling.h, which the FRED entry includes.
FILES = (TEXT_PATCHING_H, ENTRY_64, ENTRY_32, FRED_ENTRY_S, "arch/x86/entry/calling.h")


def _series_of(tree: Path, mutant: dict, into: Path):
    """A repository of the tree's FILES, and the mutant's edit as a patch mail against it."""
    repo = into / "linux"
    for name in FILES:
        if (tree / name).exists():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tree / name, repo / name)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the tree's int3 path")
    apply_mutant(repo, mutant)
    mbox = commit_as_mail(repo, f"x86/entry: {mutant['file']} edited\n\nSigned-off-by: "
                          "Test Author <author@example.org>", into / "series.mbox")
    return repo, read_series(str(mbox))


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("path", MUTANTS, ids=[p.stem for p in MUTANTS])
def test_check_tree_names_the_line_of_a_faulty_entry(path, tree, tmp_path, monkeypatch):
    mutant = tomllib.loads(path.read_text())
    # the entry file the edited one is part of (calling.h serves the FRED entry)
    entry = next((path for path, besides in ENTRY_BESIDE.items() if mutant["file"] in besides),
                 mutant["file"])
    assert entry in ENTRY_PIECES, mutant["file"]
    if not (tree / entry).exists():
        pytest.skip(f"{tree.name} has no {entry}")
    if other_era(tree, mutant):
        pytest.skip(other_era(tree, mutant))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo, series = _series_of(tree, mutant, tmp_path)
    paths = int3path.from_repository(series, str(repo))
    assert {b.name for b in paths.paths[1].entries if b.changed_by == 1}, "no entry piece changed"
    found = [f for f in catalogue.run(series, [catalogue.lookup("ENTRY_FRAME_CORRUPTED")],
                                      paths=paths)]
    assert [(f.level.name, f.file_at.path) for f in found] == [("ERROR", mutant["file"])], \
        [f.message for f in found]
    changed = series.patches[0].line_at(found[0].mbox_at.line)
    assert changed is not None and changed.kind in "+-", found[0].message


# A line inside each entry piece, after which the pass test adds a comment.
INSIDE = {ENTRY_32: ("\ttestl $CS_FROM_KERNEL, 1*4(%esp)\n", "IRET_FRAME"),
          FRED_ENTRY_S: ("\tPUSH_AND_CLEAR_REGS\n", "FRED_ENTER")}


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("file", sorted(INSIDE))
def test_check_tree_passes_the_tree_entry_as_it_is(tree, file, tmp_path, monkeypatch):
    """A patch that only adds a comment inside an entry piece: its trial runs and passes."""
    line, piece = INSIDE[file]
    if not (tree / file).exists() or (tree / file).read_text().count(line) != 1:
        pytest.skip(f"{tree.name} has no {file} with {line.strip()!r} once")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mutant = {"file": file, "edit": [{"old": line, "new": line + "\t/* checked */\n"}]}
    repo, series = _series_of(tree, mutant, tmp_path)
    paths = int3path.from_repository(series, str(repo))
    assert [b.name for b in paths.paths[1].entries if b.changed_by == 1] == [piece]
    trials = trial.Trials()
    assert catalogue.run(series, [catalogue.lookup("ENTRY_FRAME_CORRUPTED")], paths=paths,
                         trials=trials) == []
    assert list(trials.tried) and all(not r.failed and not r.error
                                      for r in trials.tried.values())
