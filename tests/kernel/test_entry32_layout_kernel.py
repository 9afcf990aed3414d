"""A real tree's SAVE_ALL says how many words FIXUP_FRAME sees, and the fix-up's own offsets agree:
with %fs pushed before it (six words) it marks cs four words up, with %fs pushed after it (five
words, v5.3 and v5.4.0) three words up."""

import re

import pytest

from kernel.kerneltrees import TREES, tree_id
from toolkit import entryblocks
from toolkit.entryblocks import macro
from toolkit.validate import kernelentry
from toolkit.x86 import ENTRY_32

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_the_fixup_marks_cs_where_the_tree_order_puts_it(tree):
    if not (tree / ENTRY_32).exists():
        pytest.skip(f"{tree.name} has no {ENTRY_32}")
    lines = (tree / ENTRY_32).read_text().splitlines(keepends=True)
    start, end = macro(lines, "FIXUP_FRAME")
    marks = re.findall(r"orl\s+\$CS_FROM_KERNEL,\s*(\d)\*4\(%esp\)", "".join(lines[start:end]))
    assert len(marks) == 1, marks
    fs_before = entryblocks.fs_before_fixup(lines)
    assert int(marks[0]) == (4 if fs_before else 3)
    assert kernelentry.fixup_frame(tree).fs_before_fixup is fs_before
