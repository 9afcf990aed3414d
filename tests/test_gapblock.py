"""Finding the entry-gap block in entry_64.S text, in both macro styles, and saying why when there is none."""

from pathlib import Path

import pytest

from toolkit import gapblock

KERNEL = Path(__file__).parent / "data" / "codegen" / "kernel"


@pytest.mark.parametrize("name, expected", [
    # the first `.if \vector == X86_TRAP_BP` (an unwind hint) lacks the kernel-mode test
    ("entry_64-trap_bp.S", (11, 19, "trap_bp")),
    ("entry_64-create_gap.S", (7, 14, "create_gap")),
])
def test_the_block_with_the_kernel_mode_test_is_found(name, expected):
    assert gapblock.locate((KERNEL / name).read_text().splitlines()) == expected


def test_no_block_and_a_block_cut_short_are_none():
    lines = (KERNEL / "entry_64-trap_bp.S").read_text().splitlines()
    assert gapblock.locate((KERNEL / "entry_64-no-gap.S").read_text().splitlines()) is None
    assert gapblock.locate(lines[:19]) is None
