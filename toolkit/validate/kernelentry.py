"""A kernel tree's own entry code made ready to assemble inside the harness, as a `.S` text.

Two pieces are taken as the tree has them: the x86_32 frame fix-up and exit (FIXUP_FRAME and
IRET_FRAME of entry_32.S) and the FRED kernel entry (asm_fred_entrypoint_kernel of
entry_64_fred.S with FRED_ENTER, FRED_EXIT and the register macros of calling.h). What they use
from elsewhere is resolved from the tree itself: assembler macros from the file and the files it
includes beside it, C macros (CS_FROM_KERNEL, USER_SEGMENT_RPL_MASK, X86_EFLAGS_VM, ERETS, ...)
from its own `#define`s and the headers it includes, followed through the include model. The C
preprocessor of the build then expands them, as kbuild's would. Annotations for objtool emit
nothing and are defined as macros that do nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from toolkit import entryblocks
from toolkit.cmodel.includes import follow
from toolkit.cmodel.preprocessor import Macro, directives_of
from toolkit.errors import InputError
from toolkit.x86 import (
    ENTRY_32,
    ERETS,
    FIXUP_C_MACROS,
    FIXUP_MACROS,
    FRED_ENTRY_S,
    FRED_KERNEL_ENTRIES,
    FRED_KERNEL_ENTRY,
    FRED_MACROS,
)

#: The C macros the FRED entry uses, as the kernel's headers define them, for its code when no
#: tree is there to read them from: erets as its bytes (asm/fred.h).
FRED_C_MACROS = (("ERETS", ".byte " + ",".join(f"0x{b:02x}" for b in ERETS)),)

#: The kernel configuration the tree's code is assembled for. CONFIG_VM86 is on because then
#: FIXUP_FRAME also tests the vm86 flag: more of the tree's code runs, and the test must not
#: take a kernel-mode trap for a vm86 one.
CONFIG = {"x86_32": ("CONFIG_X86_32", "CONFIG_VM86"),
          "x86_64": ("CONFIG_X86_64", "CONFIG_X86_FRED")}

# A C macro or configuration name: upper-case words (lower-case names are labels and symbols).
_NAME = re.compile(r"\b[A-Z_][A-Z0-9_]*[A-Z0-9]\b")
# `#if FOO`, `#ifdef X && Y`: a configuration term, possibly negated, of a macro's conditions.
_TERM = re.compile(r"(!?)\s*(?:defined\s*\(?\s*(\w+)\s*\)?|IS_ENABLED\(\s*(\w+)\s*\)|(\w+))")


class NotInTree(Exception):
    """The tree has no such piece of entry code (an older kernel); the message says what is
    missing, to be shown as the reason its scenarios are skipped."""


@dataclass(frozen=True, slots=True)
class EntryCode:
    """The `.S` text that defines the tree's macros for the harness, and where it came from;
    for x86_32, whether SAVE_ALL pushes %fs before FIXUP_FRAME (six words above %esp there,
    5.4.y stable and later) or after it (five, v5.3 and v5.4.0)."""

    text: str
    label: str
    fs_before_fixup: bool = True


def fixup_frame(tree: Path) -> EntryCode:
    """FIXUP_FRAME and IRET_FRAME of the tree's entry_32.S (v5.3+), with what they use."""
    path = tree / ENTRY_32
    lines = _lines(path, "no x86_32 entry code")
    found = [(name, entryblocks.macro(lines, name)) for name in FIXUP_MACROS]
    missing = [name for name, where in found if where is None]
    if missing:
        raise NotInTree(f"{ENTRY_32} has no {' or '.join(missing)} (the x86_32 kernel-mode "
                        "frame fix-up came in v5.3)")
    pieces = [(lines[a:b + 1], f"{ENTRY_32}:{a + 1}-{b + 1}") for _, (a, b) in found]
    return replace(_entry_code(tree, path, lines, pieces, "x86_32"),
                   fs_before_fixup=entryblocks.fs_before_fixup(lines))


def fixup_text(text: str, origin: str, fs_pushed_first: bool = True) -> EntryCode:
    """FIXUP_FRAME and IRET_FRAME given as text with no tree around them (generated, or laid
    over the generated ones from a patch; `fs_pushed_first` as EntryCode.fs_before_fixup): the C
    macros they test with are the kernel's values
    (x86.FIXUP_C_MACROS), their annotations emit nothing, and an assembler macro they use that
    the text does not define is left for the assembler to name."""
    annotations: dict[str, set[str]] = {}
    for word, arguments in entryblocks.STATEMENT.findall(entryblocks.code_of(text)):
        if entryblocks.ANNOTATION.fullmatch(word):
            annotations.setdefault(word, set()).update(re.findall(r"(\w+)\s*=", arguments))
    config = CONFIG["x86_32"]
    out = [f"/* Assembled as the kernel assembles it, configured with {', '.join(config)}. */\n",
           "#define __ASSEMBLY__ 1\n", *(f"#define {name} 1\n" for name in config),
           "/* The values the kernel's headers give them. */\n",
           *(f"#define {name} {value}\n" for name, value in FIXUP_C_MACROS),
           annotation_macros(annotations), f"/* {origin} */\n", text]
    return EntryCode("".join(out), origin, fs_pushed_first)


def fred_entry(tree: Path) -> EntryCode:
    """The body of the tree's asm_fred_entrypoint_kernel (v6.9+) as the macro
    `toolkit_fred_entrypoint_kernel`, with FRED_ENTER, FRED_EXIT and what they use."""
    path = tree / FRED_ENTRY_S
    lines = _lines(path, "no FRED entry code (FRED came in v6.9)")
    return _entry_code(tree, path, lines, _fred_pieces(lines), "x86_64")


def fred_text(entry: str, besides: dict[str, str]) -> EntryCode:
    """The FRED kernel entry of entry_64_fred.S given as text (`entry`, as one state of a series
    has the file) with the files beside it that it includes (`besides`: calling.h's path to its
    text), with no tree around them: the C macros it uses are the kernel's values
    (FRED_C_MACROS) and the assembler macros are looked up in `entry` and `besides`."""
    lines = entry.splitlines(keepends=True)
    files = [(FRED_ENTRY_S, lines)] + [(name, text.splitlines(keepends=True))
                                        for name, text in sorted(besides.items())]
    texts, _, annotations = _assembler(_fred_pieces(lines), files)
    config = CONFIG["x86_64"]
    definitions = [("the kernel's value", f"#define {name} {value}")
                   for name, value in FRED_C_MACROS]
    return EntryCode(_layout(texts, definitions, annotations, config),
                     ", ".join(origin for _, origin in texts))


def _fred_pieces(lines: list[str]) -> list[tuple[list[str], str]]:
    """asm_fred_entrypoint_kernel's body as a macro, after the FRED macros the file has."""
    found = next(((name, where) for name in FRED_KERNEL_ENTRIES
                  if (where := entryblocks.symbol(lines, name))), None)
    if found is None:
        raise NotInTree(f"{FRED_ENTRY_S} has no {FRED_KERNEL_ENTRY}")
    name, (start, end) = found
    body = [".macro toolkit_fred_entrypoint_kernel\n", *lines[start + 1:end], ".endm\n"]
    pieces = [(body, f"{FRED_ENTRY_S}:{start + 2}-{end} ({name})")]
    for name in FRED_MACROS:
        found = entryblocks.macro(lines, name)
        if found:
            pieces.insert(0, (lines[found[0]:found[1] + 1],
                              f"{FRED_ENTRY_S}:{found[0] + 1}-{found[1] + 1}"))
    return pieces


def _lines(path: Path, absent: str) -> list[str]:
    try:
        return path.read_text().splitlines(keepends=True)
    except FileNotFoundError:
        raise NotInTree(f"{absent}: {path.name} is not in the tree") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("cannot read the file", path=str(path), why=str(error)) from None


def _entry_code(tree: Path, path: Path, lines: list[str],
                pieces: list[tuple[list[str], str]], arch: str) -> EntryCode:
    config = CONFIG[arch]
    # Assembler macros the pieces use, from the file and the files it includes beside it.
    files = [(path.relative_to(tree).as_posix(), lines)] + [
        (beside.relative_to(tree).as_posix(), text)
        for beside, text in _beside_files(tree, path, lines)]
    texts, names, annotations = _assembler(pieces, files)
    names = {n for n in names if n not in config and not n.startswith("CONFIG_")}
    definitions = [(f"{m.path}:{m.line}", m.text)
                   for m in _c_macros(tree, path, "".join(lines), names, config)]
    return EntryCode(_layout(texts, definitions, annotations, config),
                     ", ".join(origin for _, origin in texts))


def _assembler(pieces: list[tuple[list[str], str]], files: list[tuple[str, list[str]]]
               ) -> tuple[list[tuple[str, str]], set[str], dict[str, set[str]]]:
    """The pieces, after every assembler macro they use that `files` ((path, lines), the file
    first) define; the C macro names they use; their annotations with the keys each is given."""
    texts = [("".join(text), origin) for text, origin in pieces]
    lines_of = dict(files)
    # each macro goes before the code that calls it, the ones found last first
    texts = [("".join(lines_of[path][start:end + 1]), f"{path}:{start + 1}-{end + 1}")
             for _, path, start, end in reversed(entryblocks.used_macros(
                 [text for text, _ in texts], files))] + texts
    defined = {name for text, _ in texts for name in entryblocks.macros(text.splitlines())}
    used_names: set[str] = set()
    annotations: dict[str, set[str]] = {}
    for text, _ in texts:
        code = entryblocks.code_of(text)
        used_names |= set(_NAME.findall(code))
        for word, arguments in entryblocks.STATEMENT.findall(code):
            if word not in defined and entryblocks.ANNOTATION.fullmatch(word):
                annotations.setdefault(word, set()).update(re.findall(r"(\w+)\s*=", arguments))
    names = {n for n in used_names - defined - set(annotations)
             if not entryblocks.ANNOTATION.fullmatch(n) and n != "__ASSEMBLY__"}
    return texts, names, annotations


def annotation_macros(annotations: dict[str, set[str]]) -> str:
    """Assembler macros that emit nothing, one per annotation name; GNU as needs each keyword
    argument an annotation is given (offset=8) declared as a parameter."""
    return "".join(f".macro {name} {' '.join(f'{k}=0' for k in sorted(keys))} rest:vararg\n"
                   ".endm\n" for name, keys in sorted(annotations.items()))


def _beside_files(tree: Path, path: Path, lines: list[str]) -> list[tuple[Path, list[str]]]:
    """The "quoted" includes found beside `path` (calling.h beside entry_64_fred.S)."""
    found = []
    for target in beside_includes("".join(lines), str(path)):
        beside = path.parent / target
        if beside.is_file() and tree.resolve() in beside.resolve().parents:
            found.append((tree / beside.relative_to(tree),
                          beside.read_text().splitlines(keepends=True)))
    return found


def beside_includes(text: str, path: str) -> list[str]:
    """The "quoted" includes of an assembler file, as names relative to its folder."""
    _, includes = directives_of(text, path)
    return [include.target for include in includes if not include.system]


def _c_macros(tree: Path, path: Path, text: str, names: set[str],
              config: tuple[str, ...]) -> list[Macro]:
    """The definitions of `names` and of the macros their bodies use, one per name, chosen for an
    assembler file of a kernel with `config`: the file's own `#define`s first, then those of the
    headers it includes, followed one include at a time until every name is found."""
    own, includes = directives_of(text, path.relative_to(tree).as_posix())
    known: dict[str, list[Macro]] = {}
    _add(known, own)
    wanted = _closure(names, known, config)
    for include in includes:
        if not wanted - known.keys():
            break
        _add(known, follow([include], str(tree), str(path)).macros)
        wanted = _closure(names, known, config)
    missing = sorted(wanted - known.keys())
    if missing:
        raise InputError(f"{', '.join(missing)}: used by the entry code, defined by no header "
                         "it includes", path=str(path))
    return [_choose(known[n], config) for n in sorted(wanted)]


def _add(known: dict[str, list[Macro]], macros: Iterable[Macro]) -> None:
    for macro in macros:
        known.setdefault(macro.name, []).append(macro)


def _closure(names: set[str], known: dict[str, list[Macro]], config) -> set[str]:
    """`names` and every macro name the chosen bodies of them use, as far as they are known."""
    wanted, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        if name in known:
            macro = _choose(known[name], config)
            pending += [n for n in re.findall(r"\b[A-Za-z_]\w*\b", macro.body)
                        if n in known and n not in (macro.params or ())]
    return wanted


def _choose(definitions: list[Macro], config: tuple[str, ...]) -> Macro:
    """The definition the preprocessor would see in an assembler file of a kernel with `config`:
    the first whose conditions all hold (else the first of all)."""
    defined = set(config) | {"__ASSEMBLY__"}
    for macro in definitions:
        if all(_holds(term, defined) for term in macro.conditions):
            return macro
    return definitions[0]


def _holds(term: str, defined: set[str]) -> bool:
    found = _TERM.fullmatch(term.strip())
    if not found:
        return False
    negated, *names = found.groups()
    name = next(n for n in names if n)
    return (name in defined) != bool(negated)


def _layout(texts: list[tuple[str, str]], definitions: list[tuple[str, str]],
            annotations: dict[str, set[str]], config: tuple[str, ...]) -> str:
    """The `.S` text: configuration, C macros ((where from, `#define` text)), annotations that
    emit nothing, then the pieces in order, each under a comment saying where it came from."""
    out = ["/* Assembled as the kernel assembles it, configured with "
           f"{', '.join(config)}. */\n", "#define __ASSEMBLY__ 1\n"]
    out += [f"#define {name} 1\n" for name in config]
    for origin, text in definitions:
        out.append(f"/* {origin} */\n{text}\n")
    if annotations:
        out.append("/* Annotations for objtool and the unwinder: they emit nothing. */\n")
        out.append(annotation_macros(annotations))
    for text, origin in texts:
        out.append(f"/* {origin} */\n{text}")
    return "".join(out)
