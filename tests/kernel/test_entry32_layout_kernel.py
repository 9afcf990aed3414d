"""A real tree's SAVE_ALL says how many words FIXUP_FRAME sees: v5.4 on, %fs is pushed before it
(six words), and the fix-up reads cs four words up."""

import pytest

from kernel.kerneltrees import TREES, tree_id
from toolkit.entryblocks import macro
from toolkit.validate import kernelentry
from toolkit.x86 import ENTRY_32

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_tree_pushes_fs_before_the_fixup(tree):
    if not (tree / ENTRY_32).exists():
        pytest.skip(f"{tree.name} has no {ENTRY_32}")
    lines = (tree / ENTRY_32).read_text().splitlines(keepends=True)
    assert kernelentry.fs_before_fixup(lines) is True
    start, end = macro(lines, "FIXUP_FRAME")
    assert "4*4(%esp)" in "".join(lines[start:end])
    assert kernelentry.fixup_frame(tree).fs_before_fixup is True
