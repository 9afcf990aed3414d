"""The entry-gap block of an entry_64.S text: where it opens and closes, in either macro style."""

from __future__ import annotations

import re
from collections.abc import Sequence

# The block's opening line in either macro style: `.if \vector == X86_TRAP_BP` (v5.8+),
# `.if \create_gap == 1` (v5.2-v5.7).
_OPEN = re.compile(r"^\s*\.if\s+\\(?:(?P<trap_bp>vector\s*==\s*X86_TRAP_BP)"
                   r"|(?P<create_gap>create_gap\s*==\s*1))\s*$")
# Other `.if` blocks open with the same words; `testb $3, CS-ORIG_RAX(%rsp)` (did int3 come
# from kernel mode?) is what makes one the gap block.
_KERNEL_MODE_TEST = re.compile(r"\btestb\s+\$3,\s*CS-ORIG_RAX\(%rsp\)")
_AS_IF = re.compile(r"^\s*\.if")
_AS_ENDIF = re.compile(r"^\s*\.endif\b")

#: What a text without a gap block was expected to hold, for the error that says so.
EXPECTED = ("expected `.if \\vector == X86_TRAP_BP` (v5.8+) or `.if \\create_gap == 1` "
            "(v5.2-v5.7) around `testb $3, CS-ORIG_RAX(%rsp)`")


def locate(lines: Sequence[str]) -> tuple[int, int, str] | None:
    """(first, last, style) of the gap block among assembler lines: the indices of its `.if` and
    of the `.endif` that closes it, and its macro style (trap_bp or create_gap); None when no
    closed block holds the kernel-mode test (a hunk can cut the block in two)."""
    for start, line in enumerate(lines):
        opened = _OPEN.match(line)
        if not opened:
            continue
        depth = 0
        for end in range(start, len(lines)):
            depth += bool(_AS_IF.match(lines[end])) - bool(_AS_ENDIF.match(lines[end]))
            if depth == 0:
                if any(_KERNEL_MODE_TEST.search(inner) for inner in lines[start:end + 1]):
                    return start, end, opened.lastgroup
                break
    return None
