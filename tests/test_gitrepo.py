"""`toolkit gen patch` against throwaway kernel-shaped repositories: patches out, the user's checkout untouched."""

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest

from gitrepos import git
from toolkit import cli, gitrepo
from toolkit.codegen import install
from toolkit.codegen.target import Target
from toolkit.errors import InputError
from toolkit.x86 import ENTRY_32, ENTRY_64, TEXT_PATCHING_H

pytestmark = pytest.mark.usefixtures("isolated_git")

KERNEL = Path(__file__).parent / "data/codegen/kernel"
def kernel_repo(path: Path, entry: str = "entry_64-trap_bp.S") -> Path:
    """A repository laid out like a kernel tree, with a dirty file and an untracked one."""
    (path / "arch/x86/include/asm").mkdir(parents=True)
    (path / "arch/x86/entry").mkdir(parents=True)
    shutil.copy(KERNEL / "text-patching.h", path / TEXT_PATCHING_H)
    shutil.copy(KERNEL / entry, path / ENTRY_64)
    (path / "Makefile").write_text("# top-level makefile of the test tree\n")
    git(path, "init", "--quiet", "--initial-branch=master")
    git(path, "add", ".")
    git(path, "commit", "--quiet", "-m", "Initial tree")
    with open(path / "Makefile", "a") as stream:
        stream.write("# an edit the user has not committed\n")
    (path / "notes.txt").write_text("untracked\n")
    return path


def snapshot(repo: Path) -> dict:
    """Everything of the user's that must not change: refs, HEAD, index, status, worktrees, files."""
    files = {str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(repo.rglob("*")) if p.is_file() and ".git" not in p.parts}
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "symbolic": git(repo, "symbolic-ref", "HEAD"),
        "refs": git(repo, "for-each-ref"),
        "index": (repo / ".git/index").read_bytes(),
        "config": (repo / ".git/config").read_bytes(),
        "status": git(repo, "status", "--porcelain=v2", "--branch", "--untracked-files=all"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
        "admin": sorted(p.name for p in (repo / ".git").iterdir()),
        "files": files,
    }


def test_gen_patch_writes_one_patch_per_file_and_leaves_the_checkout_alone(tmp_path, capsys):
    repo = kernel_repo(tmp_path / "linux")
    before = snapshot(repo)
    out = tmp_path / "out"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(out)]) == 0
    assert snapshot(repo) == before
    printed = capsys.readouterr()
    patches = sorted(out.iterdir())
    assert [p.name for p in patches] == [
        "0001-x86-entry-64-Regenerate-the-int3-entry-gap.patch",
        "0002-x86-text-patching-Regenerate-the-int3-emulation-help.patch"]
    assert printed.out.split() == [str(p) for p in patches]
    assert "was not changed" in printed.err

    # The patches apply to a clone of the user's HEAD and install exactly the generated blocks.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    git(clone, "am", "--quiet", *map(str, patches))
    t = Target(mechanisms=("bp_gap", "fixup_frame"))
    assert (clone / ENTRY_64).read_text() == install.install_gap(
        (KERNEL / "entry_64-trap_bp.S").read_text(), t, ENTRY_64)
    assert (clone / TEXT_PATCHING_H).read_text() == install.install_helpers(
        (KERNEL / "text-patching.h").read_text(), t, TEXT_PATCHING_H)
    assert git(clone, "log", "--format=%s", "-2").splitlines() == [
        "x86/text-patching: Regenerate the int3 emulation helpers",
        "x86/entry/64: Regenerate the int3 entry gap"]


def test_gen_patch_follows_the_tree_style(tmp_path):
    repo = kernel_repo(tmp_path / "linux", entry="entry_64-create_gap.S")
    out = tmp_path / "out"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(out), "--gap-words", "8"]) == 0
    entry_patch = (sorted(out.iterdir())[0]).read_text()
    assert "+\t.if \\create_gap == 1" not in entry_patch        # the opening line is unchanged
    assert "+\t\tsubq\t$16, %rsp" in entry_patch
    assert "style=create_gap" in entry_patch


def test_an_up_to_date_tree_gets_no_patches(tmp_path, capsys):
    repo = kernel_repo(tmp_path / "linux")
    first = tmp_path / "first"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(first)]) == 0
    git(repo, "stash", "--quiet", "--include-untracked")
    git(repo, "am", "--quiet", *map(str, sorted(first.iterdir())))
    capsys.readouterr()
    second = tmp_path / "second"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(second)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{ENTRY_64}: already as generated, no commit",
        f"{TEXT_PATCHING_H}: already as generated, no commit"]
    assert not second.exists()


def test_a_tree_missing_a_file_fails_cleanly(tmp_path, capsys):
    repo = kernel_repo(tmp_path / "linux")
    git(repo, "rm", "--quiet", TEXT_PATCHING_H)
    git(repo, "commit", "--quiet", "-m", "Drop the header")
    before = snapshot(repo)
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(
        f"toolkit: {repo}: no file {TEXT_PATCHING_H} in commit ")
    assert snapshot(repo) == before


def test_a_failed_export_leaves_no_temporary_patch_folder(tmp_path, monkeypatch):
    repo = kernel_repo(tmp_path / "linux")
    git(repo, "rm", "--quiet", TEXT_PATCHING_H)
    git(repo, "commit", "--quiet", "-m", "Drop the header")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert cli.main(["gen", "patch", "--tree", str(repo)]) == 2     # no -o: a temporary folder
    assert list(scratch.iterdir()) == []


def test_not_a_repository_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert cli.main(["gen", "patch", "--tree", str(tmp_path / "plain")]) == 2
    assert capsys.readouterr().err == f"toolkit: {tmp_path / 'plain'}: not a git repository\n"


def test_interrupt_while_editing_still_removes_the_worktree(tmp_path):
    repo = kernel_repo(tmp_path / "linux")
    before = snapshot(repo)

    def interrupted(text: str, path: str) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gitrepo.export_patches(repo, [gitrepo.FileRewrite(ENTRY_64, interrupted, "x")],
                                  tmp_path / "out")
    assert snapshot(repo) == before


def test_a_rewrite_that_refuses_the_file_leaves_no_worktree(tmp_path):
    repo = kernel_repo(tmp_path / "linux", entry="entry_64-no-gap.S")
    before = snapshot(repo)
    edit = gitrepo.FileRewrite(ENTRY_64,
                           lambda text, path: install.install_gap(text, Target(), path), "x")
    with pytest.raises(InputError, match="no entry-gap block"):
        gitrepo.export_patches(repo, [edit], tmp_path / "out")
    assert snapshot(repo) == before


def test_generated_patches_are_signed_off_and_pass_the_toolkits_own_check(tmp_path, capsys):
    repo = kernel_repo(tmp_path / "linux")
    out = tmp_path / "out"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(out)]) == 0
    capsys.readouterr()
    for patch in sorted(out.iterdir()):
        assert "\nSigned-off-by: Test Author <author@example.org>\n" in patch.read_text()
    # what the toolkit sends out, it does not remark on itself
    assert cli.main(["check", str(out)]) == 0, capsys.readouterr().out


def test_without_an_identity_the_patches_are_not_signed_off(tmp_path, monkeypatch, capsys):
    repo = kernel_repo(tmp_path / "linux")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name)
    # and no guessing an address from $EMAIL or the host name, as git would on some machines
    monkeypatch.delenv("EMAIL", raising=False)
    for name, value in (("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "user.useConfigOnly"),
                        ("GIT_CONFIG_VALUE_0", "true")):
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(out)]) == 0
    for patch in sorted(out.iterdir()):
        text = patch.read_text()
        # a stand-in author, and no sign-off that would certify nothing
        assert "\nFrom: toolkit <toolkit@localhost>\n" in text
        assert "Signed-off-by:" not in text


def test_a_tree_with_the_x86_32_fixup_gets_it_regenerated_in_place(tmp_path, capsys):
    repo = kernel_repo(tmp_path / "linux")
    shutil.copy(KERNEL / "entry_32.S", repo / ENTRY_32)
    git(repo, "add", ENTRY_32)
    git(repo, "commit", "--quiet", "-m", "Add the x86_32 entry")
    out = tmp_path / "out"
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(out)]) == 0
    patches = sorted(out.iterdir())
    assert [p.name for p in patches][1] == \
        "0002-x86-entry-32-Regenerate-the-kernel-mode-frame-fix-up.patch"
    assert "not regenerated" not in capsys.readouterr().err
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    git(clone, "am", "--quiet", *map(str, patches))
    t = Target(arch="x86_32", mechanisms=("bp_gap", "fixup_frame"))
    assert (clone / ENTRY_32).read_text() == install.install_fixup(
        (KERNEL / "entry_32.S").read_text(), t, ENTRY_32)
    # SAVE_ALL and the file's own lines around the macros are left as they were
    assert "\tFIXUP_FRAME\n\tpushl\t%es\n" in (clone / ENTRY_32).read_text()
    assert "copies the 6 words pushed before it" in " ".join(patches[1].read_text().split())
