"""`toolkit check --tree`: the series applied in a throwaway repository that stays as it was."""

import hashlib
import shutil
from pathlib import Path

import pytest

from gitrepos import git

pytestmark = pytest.mark.usefixtures("isolated_git")

from toolkit import cli
from toolkit.checks import catalogue
from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.x86 import ENTRY_64

DATA = Path(__file__).parents[1] / "data"
TREE = DATA / "semantic" / "tree"
@pytest.fixture
def kernel(tmp_path) -> Path:
    """The base tree the call-emulation series applies to, with a dirty file, an untracked file,
    a stash entry and a branch the user is on."""
    repo = tmp_path / "linux"
    shutil.copytree(TREE, repo)
    git(repo, "init", "--quiet", "--initial-branch=work")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "x86: the base tree")
    (repo / "notes.txt").write_text("untracked\n")
    with open(repo / "arch/x86/kernel/ftrace.c", "a") as stream:
        stream.write("/* stashed */\n")
    git(repo, "stash", "--quiet")
    with open(repo / "arch/x86/kernel/ftrace.c", "a") as stream:
        stream.write("/* an edit the user has not committed */\n")
    return repo


def snapshot(repo: Path) -> dict:
    files = {str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return {"head": git(repo, "rev-parse", "HEAD"), "symbolic": git(repo, "symbolic-ref", "HEAD"),
            "refs": git(repo, "for-each-ref"), "stash": git(repo, "stash", "list"),
            "index": (repo / ".git/index").read_bytes(), "status": git(repo, "status", "--short"),
            "worktrees": git(repo, "worktree", "list", "--porcelain"), "files": files}


def _rows(findings):
    return sorted((f.rule, f.patch.index, f.file_at.path if f.file_at else None,
                   f.file_at.line if f.file_at else None) for f in findings)


def test_states_after_each_patch_come_from_the_applied_tree(kernel):
    before = snapshot(kernel)
    built = int3path.from_repository(read_series(str(DATA / "check/reordered.mbox")), str(kernel))
    assert [(s.index, s.failed, [b.name for b in s.helpers], s.gap and s.gap.changed_by,
             [u.patch for u in s.users]) for s in built.paths] == [
        (0, None, [], None, []),
        (1, None, ["int3_emulate_call", "int3_emulate_jmp", "int3_emulate_push"], None, []),
        (2, None, ["int3_emulate_call", "int3_emulate_jmp", "int3_emulate_push"], None, [2, 2]),
        (3, None, ["int3_emulate_call", "int3_emulate_jmp", "int3_emulate_push"], 3, [2, 2])]
    # the macro parameter, its test in the gap block, and the int3 line that sets it
    assert built.paths[3].file(ENTRY_64).count("create_gap") == 3
    assert snapshot(kernel) == before


def test_check_with_a_tree_judges_each_patch_and_leaves_the_repository_alone(kernel, capsys):
    before = snapshot(kernel)
    code = cli.main(["check", "--tree", str(kernel), "--format", "json",
                     "--ignore", "COMMIT_REFERENCE", str(DATA / "check/reordered.mbox")])
    out = capsys.readouterr().out
    assert code == 1 and '"BISECT_BREAKS"' in out
    found = _rows(catalogue.run(read_series(str(DATA / "check/reordered.mbox")),
                              catalogue.select(ignore=["COMMIT_REFERENCE"]),
                              paths=int3path.from_repository(
                                  read_series(str(DATA / "check/reordered.mbox")), str(kernel))))
    # with a tree a stale name is a warning: create_gap comes only with patch 3
    assert found == [("BISECT_BREAKS", 2, "arch/x86/kernel/ftrace.c", 59),
                     ("STALE_REFERENCE", 1, "arch/x86/include/asm/text-patching.h", 44)]
    assert snapshot(kernel) == before


def test_a_patch_that_does_not_apply_is_a_finding_and_the_rest_is_checked(kernel):
    series = read_series(str(DATA / "check/stale-reference.mbox"))
    found = catalogue.run(series, paths=int3path.from_repository(series, str(kernel)))
    assert [(f.rule, f.message) for f in found] == [
        ("PATCH_DOES_NOT_APPLY",
         "git apply: error: arch/x86/include/asm/text-patching.h: patch does not apply")]


def test_fixes_and_commit_references_are_looked_up(kernel, tmp_path):
    sha = git(kernel, "rev-parse", "--short=12", "HEAD").strip()
    mbox = tmp_path / "fixes.mbox"
    mbox.write_text((DATA / "semantic/fixes.mbox.in").read_text().replace("@SHA@", sha))
    series = read_series(str(mbox))
    found = catalogue.run(series, [catalogue.lookup("COMMIT_REFERENCE")],
                        paths=int3path.from_repository(series, str(kernel)))
    assert [(f.mbox_at.line, f.message) for f in found] == [
        (11, f'commit {sha} is titled ("x86: the base tree"), not ("x86: a subject that was '
             f'never committed")'),
        (12, f"commit 0123456789ab is not in {kernel}")]
    # without a tree nothing is called unknown: the references stay unverified
    assert catalogue.run(series, [catalogue.lookup("COMMIT_REFERENCE")]) == []


def test_the_worktree_goes_away_on_ctrl_c(kernel, monkeypatch):
    from toolkit import gitrepo

    before = snapshot(kernel)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(gitrepo.tempfile, "NamedTemporaryFile", interrupted)
    with pytest.raises(KeyboardInterrupt):
        int3path.from_repository(read_series(str(DATA / "check/reordered.mbox")), str(kernel))
    assert snapshot(kernel) == before


def test_the_series_is_applied_at_its_base_commit_when_the_repository_has_it(kernel, tmp_path):
    base = git(kernel, "rev-parse", "HEAD").strip()
    ftrace = kernel / "arch/x86/kernel/ftrace.c"
    git(kernel, "stash", "--quiet")         # the user's edit, so that the next commit is clean
    ftrace.write_text(ftrace.read_text().replace("static unsigned long ftrace_update_func;",
                                                 "static unsigned long ftrace_update_addr;"))
    git(kernel, "commit", "--quiet", "-a", "-m", "x86/ftrace: a later change on HEAD")
    v2 = (DATA / "check/corrected.mbox").read_text()
    with_base = tmp_path / "with-base.mbox"
    # git format-patch --base puts the line at the end of the cover letter, before the signature
    with_base.write_text(v2.replace("\n-- \n", f"\nbase-commit: {base}\n-- \n", 1))
    at_head = int3path.from_repository(read_series(str(DATA / "check/corrected.mbox")), str(kernel))
    at_base = int3path.from_repository(read_series(str(with_base)), str(kernel))
    assert [s.failed is None for s in at_head.paths] == [True, True, True, False]
    assert [s.failed for s in at_base.paths] == [None] * 4


def test_a_base_commit_the_repository_lacks_is_said_on_stderr(kernel, capsys):
    mbox = str(DATA / "semantic/unknown-base.mbox")
    built = int3path.from_repository(read_series(mbox), str(kernel))
    assert (built.missing_base, built.paths[1].failed) == (
        "0badc0ffee0badc0ffee0badc0ffee0badc0ffee", None)
    assert cli.main(["check", "--tree", str(kernel), mbox]) == 0
    assert capsys.readouterr().err == (
        f"toolkit: {kernel} has no commit 0badc0ffee0badc0ffee0badc0ffee0badc0ffee (the series' "
        "base-commit): the patches are applied at HEAD\n")


# An entry file and the register macros beside it, in the shape of the kernel's FRED entry (the
# name its kernel entry point had while the series was on the list), written for this test.
CALLING = """/* register save and restore for the entry code */
.macro SAVE_ONE reg
\tpushq\t\\reg
.endm

.macro PUSH_AND_CLEAR_REGS
\tSAVE_ONE %rdi
\txorl\t%edi, %edi
.endm

.macro POP_REGS
\tpopq\t%rdi
.endm

.macro NOT_USED_BY_FRED
\tnop
.endm
"""
FRED = """#include "calling.h"

.macro FRED_ENTER
\tPUSH_AND_CLEAR_REGS
\tmovq\t%rsp, %rdi
.endm

.macro FRED_EXIT
\tPOP_REGS
.endm

SYM_CODE_START_NOALIGN(fred_entrypoint_kernel)
\tFRED_ENTER
\tcall\tfred_entry_from_kernel
\tFRED_EXIT
SYM_CODE_END(fred_entrypoint_kernel)
"""


def test_a_tree_state_keeps_the_fred_entry_and_the_calling_macros_it_uses(tmp_path):
    repo = tmp_path / "linux"
    entry = repo / "arch/x86/entry"
    entry.mkdir(parents=True)
    (entry / "calling.h").write_text(CALLING)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "base")
    (entry / "entry_64_fred.S").write_text(FRED)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "x86/fred: Add the entry\n\nSigned-off-by: A <a@b.c>")
    (entry / "calling.h").write_text(CALLING.replace("\tpopq\t%rdi\n", "\taddq\t$8, %rsp\n"))
    git(repo, "commit", "--quiet", "-am", "x86/entry: Skip a register\n\nSigned-off-by: A <a@b.c>")
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(repo, "format-patch", "-2", "--stdout"))
    git(repo, "reset", "--quiet", "--hard", "HEAD~2")
    built = int3path.from_repository(read_series(str(mbox)), str(repo))
    entries = [sorted((b.name, b.changed_by) for b in state.entries) for state in built.paths]
    # SAVE_ONE is used by a macro the entry uses; NOT_USED_BY_FRED is not part of it; the macros
    # of calling.h are not patch 1's, which does not touch calling.h, but POP_REGS is patch 2's
    assert entries == [
        [],
        [("FRED_ENTER", 1), ("FRED_EXIT", 1), ("POP_REGS", 0), ("PUSH_AND_CLEAR_REGS", 0),
         ("SAVE_ONE", 0), ("fred_entrypoint_kernel", 1)],
        [("FRED_ENTER", 1), ("FRED_EXIT", 1), ("POP_REGS", 2), ("PUSH_AND_CLEAR_REGS", 0),
         ("SAVE_ONE", 0), ("fred_entrypoint_kernel", 1)]]
