"""Machine code shown as AT&T-syntax text, as objdump shows it, for the traces in evidence.

capstone is imported on first use: only a failed run's evidence is disassembled.
"""

from __future__ import annotations

import functools


def disassemble(arch: str, steps) -> list[tuple[int, str]]:
    """AT&T-syntax text of each (address, bytes) pair, as objdump would show it."""
    disassembler = _disassembler(arch)
    lines = []
    for address, code in steps:
        insn = next(disassembler.disasm_lite(code, address), None)
        lines.append((address, f"{insn[2]} {insn[3]}".strip() if insn else code.hex()))
    return lines


@functools.cache
def _disassembler(arch: str):
    # Made once: a capstone handle takes as long to open as ten instructions take to disassemble.
    import capstone

    disassembler = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64 if arch == "x86_64"
                               else capstone.CS_MODE_32)
    disassembler.syntax = capstone.CS_OPT_SYNTAX_ATT
    return disassembler
