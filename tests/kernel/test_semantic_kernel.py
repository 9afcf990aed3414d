"""Semantic review against real kernel trees (TOOLKIT_KERNEL_TREES, default .kernels/linux-source-*).

Each tree's int3 path (text-patching.h, entry_64.S and the C files that call the helpers) is
committed to a throwaway git repository; a patch made there with git is then checked with --tree.
"""

import shutil

import pytest

from gitrepos import git
from kernel.kerneltrees import TREES, tree_id
from toolkit.checks import catalogue
from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.x86 import ENTRY_64, TEXT_PATCHING_H

pytestmark = [pytest.mark.kernel, pytest.mark.usefixtures("isolated_git")]

FILES = (TEXT_PATCHING_H, ENTRY_64, "arch/x86/entry/entry_32.S",
         "arch/x86/kernel/alternative.c", "arch/x86/kernel/static_call.c")


@pytest.fixture
def int3_path(tree, tmp_path):
    repo = tmp_path / "linux"
    for name in FILES:
        if (tree / name).exists():      # static_call.c came in v5.10
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tree / name, repo / name)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the int3 path of the tree")
    return repo


def _patch(repo, tmp_path, path: str, edit) -> str:
    """A one-file patch made with git in `repo` (which is then reset): `edit(text) -> text`."""
    target = repo / path
    target.write_text(edit(target.read_text()))
    git(repo, "commit", "--quiet", "-a", "-m", "x86: an edit\n\nAn edit.\n\n"
        "Signed-off-by: Test Author <author@example.org>")
    patch = tmp_path / "edit.patch"
    patch.write_text(git(repo, "format-patch", "-1", "--stdout"))
    git(repo, "reset", "--quiet", "--hard", "HEAD~1")
    return str(patch)


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_push_comment_names_create_gap_which_the_tree_no_longer_has(tree, int3_path, tmp_path):
    if "create_gap" not in (int3_path / TEXT_PATCHING_H).read_text():
        pytest.skip(f"{tree.name}: the push comment no longer names create_gap")
    # touch the comment line that names it, as a patch rewording that comment would
    series = read_series(_patch(int3_path, tmp_path, TEXT_PATCHING_H,
                                lambda text: text.replace("this gap. See the", "this gap; see the")))
    found = catalogue.run(series, paths=int3path.from_repository(series, str(int3_path)))
    if "create_gap" in (int3_path / ENTRY_64).read_text():
        # v5.2-v5.7: the idtentry still has the parameter, and the comment is right
        assert found == []
        return
    assert [(f.rule, str(f.level), f.evidence["name"]) for f in found] == [
        ("STALE_REFERENCE", "warning", "create_gap")]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_trees_own_helpers_and_gap_pass_the_trials(tree, int3_path, tmp_path):
    from toolkit.checks import trial

    # a file the helpers and the gap do not come from: static_call.c, or alternative.c before v5.10
    edited = next(name for name in FILES[::-1] if (int3_path / name).exists())
    series = read_series(_patch(int3_path, tmp_path, edited,
                                lambda text: text + "/* a note at the end */\n"))
    after = int3path.from_repository(series, str(int3_path)).paths[1]
    style = "create_gap" if "create_gap=1" in (int3_path / ENTRY_64).read_text() else "trap_bp"
    assert after.gap is not None and after.gap.style == style
    assert after.users and {"push", "call"} <= set(trial.runnable(after))
    trials = trial.Trials()
    assert (trial.gap_alone(trials, after).failed, trial.helpers_alone(trials, after).failed,
            trial.run(trials, after).failed) == ((), (), ())
