"""Where a kernel's own entry pieces sit in its assembler text: `.macro` blocks and symbol bodies.

The x86_32 frame fix-up (FIXUP_FRAME, IRET_FRAME) and the FRED entry (FRED_ENTER, FRED_EXIT,
asm_fred_entrypoint_kernel) are found by the same two questions, and the macros they call (from
calling.h, say) by a third; text only, nothing is assembled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# `.macro NAME args`: the opening line of an assembler macro, as entry_32.S writes it.
_MACRO = re.compile(r"^\s*\.macro\s+(\w+)\b")
_ENDM = re.compile(r"^\s*\.endm\b")
# SYM_CODE_START(name), SYM_CODE_START_NOALIGN(name), SYM_FUNC_START(name), ...: a symbol's start.
_SYMBOL_START = re.compile(r"^\s*SYM_\w*START\w*\(\s*(\w+)\s*\)")
_SYMBOL_END = re.compile(r"^\s*SYM_\w*END\(\s*(\w+)\s*\)")
#: Words that annotate code for objtool or the unwinder and emit no instruction a scenario can
#: see. ENCODE_FRAME_POINTER writes %rbp after PUSH_REGS saved it (nothing when
#: CONFIG_FRAME_POINTER is off), so the register a handler sees is still restored from pt_regs.
ANNOTATION = re.compile(r"UNWIND_HINT(?:_\w+)?|ANNOTATE_\w+|ENDBR|ENCODE_FRAME_POINTER")
#: The first word of an assembler statement (an instruction, a directive, a macro call; not a
#: label or an assignment) and the rest of its line, with the `key=` arguments of a call.
STATEMENT = re.compile(r"^[ \t]*([A-Za-z_]\w*)\b(?![ \t]*[:=,])(.*)$", re.M)
_C_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def macro(lines: Sequence[str], name: str) -> tuple[int, int] | None:
    """(first, last): the indices of the `.macro name` line and of its `.endm`; None when the text
    has no closed macro of that name (a hunk can cut one in two)."""
    for start, line in enumerate(lines):
        found = _MACRO.match(line)
        if found and found.group(1) == name:
            for end in range(start + 1, len(lines)):
                if _MACRO.match(lines[end]):
                    return None
                if _ENDM.match(lines[end]):
                    return start, end
            return None
    return None


def macros(lines: Sequence[str]) -> set[str]:
    """The names of every assembler macro the text opens."""
    return {m.group(1) for m in map(_MACRO.match, lines) if m}


def symbol(lines: Sequence[str], name: str) -> tuple[int, int] | None:
    """(first, last): the indices of the `SYM_*START*(name)` line and of its `SYM_*END(name)`."""
    for start, line in enumerate(lines):
        found = _SYMBOL_START.match(line)
        if found and found.group(1) == name:
            for end in range(start + 1, len(lines)):
                closing = _SYMBOL_END.match(lines[end])
                if closing and closing.group(1) == name:
                    return start, end
            return None
    return None


def opened(line: str) -> str | None:
    """The macro (`.macro NAME`) or symbol (`SYM_CODE_START(name)`) that `line` opens, or None."""
    found = _MACRO.match(line) or _SYMBOL_START.match(line)
    return found.group(1) if found else None


def closes(line: str) -> bool:
    """Whether `line` ends a macro (`.endm`) or a symbol (`SYM_CODE_END(name)`)."""
    return bool(_ENDM.match(line) or _SYMBOL_END.match(line))


def code_of(text: str) -> str:
    """The text without comments: C comments, and `#` comments after an instruction (a line that
    starts with `#` is a preprocessor directive and stays)."""
    text = _C_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    return "\n".join(line if line.lstrip().startswith("#") else line.split("#", 1)[0]
                     for line in text.split("\n"))


def used_macros(texts: Sequence[str], files: Sequence[tuple[str, Sequence[str]]]
                ) -> list[tuple[str, str, int, int]]:
    """(name, path, first, last) of each assembler macro the code of `texts` calls that one of
    `files` ((path, lines), looked in in order) defines, and of those these call in turn, in the
    order they are found. Macros the texts define themselves, annotations (ANNOTATION) and
    lower-case words (instructions, directives) are not looked up."""
    defined = {name for text in texts for name in macros(text.splitlines())}
    found: list[tuple[str, str, int, int]] = []
    pending = list(texts)
    while pending:
        for word, _ in STATEMENT.findall(code_of(pending.pop())):
            if word in defined or not word.isupper() and not word.startswith("_") \
                    or ANNOTATION.fullmatch(word):
                continue
            for path, lines in files:
                where = macro(lines, word)
                if where is not None:
                    defined.add(word)
                    found.append((word, path, *where))
                    pending.append("\n".join(lines[where[0]:where[1] + 1]))
                    break
    return found


def fs_before_fixup(lines: list[str]) -> bool:
    """Whether the SAVE_ALL of an entry_32.S (its lines) pushes %fs before it expands
    FIXUP_FRAME: since late 2019 it does (5.4.y stable has it), and FIXUP_FRAME sees fs, the gs
    slot, orig_ax, ip, cs and flags; in v5.3 and v5.4.0 %fs came after, and it sees five words.
    A file without that SAVE_ALL is taken to have today's order."""
    found = macro(lines, "SAVE_ALL")
    if found is None:
        return True
    for line in code_of("".join(lines[found[0] + 1:found[1]])).splitlines():
        if re.match(r"\s*pushl\s+%fs\b", line):
            return True
        if re.match(r"\s*FIXUP_FRAME\b", line):
            return False
    return True
