"""Generated blocks installed into a kernel tree's own files: the helper block, the entry-gap block, the x86_32 fix-up."""

from __future__ import annotations

import re

from toolkit import entryblocks, gapblock
from toolkit.codegen.render import render_gap_block, render_helpers, render_kernel_fixup
from toolkit.codegen.target import Target
from toolkit.errors import InputError, UsageError
from toolkit.x86 import FIXUP_MACROS

#: Opens the helper block of text-patching.h: `#ifndef CONFIG_UML_X86`
_HELPERS_OPEN = re.compile(r"^\s*#\s*ifndef\s+CONFIG_UML_X86\b")


#: Any conditional that needs its own #endif: `#if`, `#ifdef X`, `#ifndef X`
_CPP_IF = re.compile(r"^\s*#\s*if(n?def)?\b")


_CPP_ENDIF = re.compile(r"^\s*#\s*endif\b")


def install_helpers(text: str, t: Target, path: str) -> str:
    """`text` of a kernel's text-patching.h with its helper block replaced by the generated one."""
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if _HELPERS_OPEN.match(line):
            end = _block_end(lines, start, path)
            return "".join(lines[:start]) + render_helpers(t) + "".join(lines[end + 1:])
    raise InputError("no int3 helper block to replace", path=path,
                     why="expected the helpers under #ifndef CONFIG_UML_X86, as since v5.2")


def entry_style(text: str, path: str) -> str:
    """Which of the two macro styles the gap block of a kernel's entry_64.S is written in."""
    return _gap_block(text.splitlines(keepends=True), path)[2]


def install_gap(text: str, t: Target, path: str) -> str:
    """`text` of a kernel's entry_64.S with its entry-gap block replaced by the generated one."""
    lines = text.splitlines(keepends=True)
    start, end, style = _gap_block(lines, path)
    if style != t.style:
        raise UsageError(f"{path} writes the gap block in the {style} style, not {t.style}")
    return "".join(lines[:start]) + render_gap_block(t) + "".join(lines[end + 1:])


def has_fixup(text: str) -> bool:
    """Whether a kernel's entry_32.S text has both FIXUP_FRAME and IRET_FRAME (v5.3+)."""
    lines = text.splitlines()
    return all(entryblocks.macro(lines, name) for name in FIXUP_MACROS)


def install_fixup(text: str, t: Target, path: str) -> str:
    """`text` of a kernel's entry_32.S with FIXUP_FRAME and IRET_FRAME (`.macro` to `.endm`, in
    place, wherever the file has them) replaced by the generated ones of the x86_32 `t`."""
    lines = text.splitlines(keepends=True)
    if not entryblocks.fs_before_fixup(lines):
        # The generated fix-up copies fs with the frame; where %fs is pushed after it (v5.3,
        # v5.4.0) it would copy a word that is not there yet.
        start, _ = entryblocks.macro(lines, "SAVE_ALL")
        raise InputError("SAVE_ALL pushes %fs after FIXUP_FRAME (v5.3, v5.4.0): the generated "
                         "fix-up is for an entry that pushes it before", path=path,
                         line=start + 1)
    made = render_kernel_fixup(t).splitlines(keepends=True)
    # bottom up, so that the places found first stay where they are
    places = []
    for name in FIXUP_MACROS:
        found = entryblocks.macro(lines, name)
        if found is None:
            raise InputError(f"no {name} macro to replace", path=path,
                             why="expected `.macro " + name + "` ... `.endm`, as since v5.3")
        start, end = entryblocks.macro(made, name)
        places.append((found, made[start:end + 1]))
    for (start, end), new in sorted(places, reverse=True):
        lines[start:end + 1] = new
    return "".join(lines)


def _gap_block(lines: list[str], path: str) -> tuple[int, int, str]:
    found = gapblock.locate(lines)
    if found is None:
        raise InputError("no entry-gap block to replace", path=path, why=gapblock.EXPECTED)
    return found


def _block_end(lines: list[str], start: int, path: str) -> int:
    """The line index of the #endif that closes the conditional opened at `start`."""
    depth = 0
    for index in range(start, len(lines)):
        if _CPP_IF.match(lines[index]):
            depth += 1
        elif _CPP_ENDIF.match(lines[index]):
            depth -= 1
            if depth == 0:
                return index
    raise InputError("conditional block is never closed", path=path, line=start + 1)
