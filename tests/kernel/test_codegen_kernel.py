"""Installing the generated blocks into real kernel trees (TOOLKIT_KERNEL_TREES, default .kernels/linux-source-*)."""

import os
import shutil
import subprocess

import pytest
from kerneltrees import TREES, entry_copy, tree_id

from toolkit import cli, entryblocks
from toolkit.cmodel import header as cheader
from toolkit.codegen import install, render
from toolkit.codegen.target import Target
from toolkit.errors import InputError, UsageError
from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate.scenarios import Status
from toolkit.x86 import ENTRY_32, ENTRY_64, TEXT_PATCHING_H

pytestmark = pytest.mark.kernel

@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_gap_block_replaced_in_place(tree):
    old = (tree / ENTRY_64).read_text()
    t = Target(style=install.entry_style(old, ENTRY_64))
    new = install.install_gap(old, t, ENTRY_64)
    block = render.render_gap_block(t)
    start = new.index(block)
    # Everything before and after the block is the tree's own text, byte for byte.
    assert old.startswith(new[:start])
    assert old.endswith(new[start + len(block):])
    assert install.install_gap(new, t, ENTRY_64) == new


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_installed_helpers_parse_back(tree):
    old_text = (tree / TEXT_PATCHING_H).read_text()
    t = Target(mechanisms=("bp_gap", "fixup_frame", "fred"))
    new_text = install.install_helpers(old_text, t, TEXT_PATCHING_H)
    old = cheader.parse_header(old_text, TEXT_PATCHING_H)
    new = cheader.parse_header(new_text, TEXT_PATCHING_H)
    helpers = [f"int3_emulate_{h}" for h in t.helpers]
    kept = [f.name for f in old.functions if f.name not in helpers]
    assert [f.name for f in new.functions if f.name in helpers] == helpers
    assert [f.name for f in new.functions if f.name not in helpers] == kept
    assert len(new.unparsed) <= len(old.unparsed)
    assert all(f.conditions == new.function(helpers[0]).conditions
               for f in new.functions if f.name in helpers)


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_gen_patch_on_a_repository_of_the_tree_files(tree, tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git not found")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    repo = tmp_path / "linux"
    for path in (ENTRY_64, TEXT_PATCHING_H):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tree / path, repo / path)
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "tree"]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True)
    assert cli.main(["gen", "patch", "--tree", str(repo), "-o", str(tmp_path / "out")]) == 0
    patches = sorted((tmp_path / "out").iterdir())
    assert len(patches) == 2
    check = subprocess.run(["git", "apply", "--check", *map(str, patches)], cwd=repo,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("gap_words", [6, 8])
def test_installed_fixup_validates_like_the_trees_own(tree, gap_words, rows, cache, tmp_path):
    copy = entry_copy(tree, tmp_path)
    old = (copy / ENTRY_32).read_text()
    t = Target(arch="x86_32", gap_words=gap_words)
    if not entryblocks.fs_before_fixup(old.splitlines(keepends=True)):
        # v5.3 and v5.4.0 push %fs after the fix-up, which the generated one does not fit
        with pytest.raises(InputError, match="SAVE_ALL pushes %fs after FIXUP_FRAME"):
            install.install_fixup(old, t, ENTRY_32)
        return
    new = install.install_fixup(old, t, ENTRY_32)
    (copy / ENTRY_32).write_text(new)
    # the rest of entry_32.S is the tree's, and a second install changes nothing
    assert len(new.splitlines()) - len(old.splitlines()) < 40
    assert install.install_fixup(new, t, ENTRY_32) == new
    code = codeundertest.tree_code(copy, "x86_32")
    assert "Push a whole" in code.entry      # the generated macros, read from the tree
    # the controls are made for the kernel's own 6-word gap (seven pushes must overflow it)
    wanted = rows if gap_words == 6 else [r for r in rows if r.expect == "pass"]
    outcomes = validation.validate(code, wanted, cache=cache)
    assert [(o.scenario.name, o.reason) for o in outcomes
            if o.status in (Status.FAILED, Status.ERROR)] == []


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_a_fixup_the_kernel_layout_cannot_make_is_refused_and_a_wrong_one_caught(
        tree, rows, cache, tmp_path):
    old = (tree / ENTRY_32).read_text()
    if not entryblocks.fs_before_fixup(old.splitlines(keepends=True)):
        pytest.skip(f"{tree.name} pushes %fs after FIXUP_FRAME: no fix-up is installed there")
    with pytest.raises(UsageError, match="impossible in the kernel's x86_32 entry"):
        install.install_fixup(old, Target(arch="x86_32", gap_words=5), ENTRY_32)
    # the sp the fix-up records one word too high: the emulated push lands in the old frame
    copy = entry_copy(tree, tmp_path)
    new = install.install_fixup(old, Target(arch="x86_32"), ENTRY_32)
    assert new.count("addl\t$7*4, (%esp)") == 1
    (copy / ENTRY_32).write_text(new.replace("addl\t$7*4, (%esp)", "addl\t$8*4, (%esp)"))
    outcomes = validation.validate(codeundertest.tree_code(copy, "x86_32"),
                                   [r for r in rows if r.expect == "pass"], cache=cache)
    assert any(o.status is Status.FAILED for o in outcomes)
