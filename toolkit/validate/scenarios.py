"""Scenario tables: TOML rows of input and expectation, expanded into scenarios.

A row names an instruction (call, jmp32, jmp8, push, pop, ret, jcc), where the stack is and from
which ring the int3 comes; rules expand it (`cc = "all"`, `flags = "all"`, a list of stacks) into
scenarios. Each scenario runs twice on the same machine: the real instruction at the site (the
reference) and int3 at the site handled by the code under test. They must leave the same registers,
flags and stack. A row may apply a `variant` (edits to the code under test) and `expect = "fail"`:
a negative control, which passes when the difference is caught.
"""

from __future__ import annotations

import enum
import itertools
import re
import struct
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from toolkit.errors import InputError
from toolkit.x86 import CC_NAMES, EFLAGS_BITS, HELPER_OF, HELPERS, pack_format

INSNS = ("call", "jmp32", "jmp8", "push", "pop", "ret", "jcc")
STACKS = ("aligned", "misaligned", "page")
BASE_FLAGS = 0x202           # IF and the always-one bit: an ordinary kernel context
# Values of enum toolkit_helper in validate/handlers/scenario.c: the helpers in header order, from 1.
HELPER_CODE = {helper: number for number, helper in enumerate(HELPERS, 1)}
# Landing pads relative to the site, all inside the page of hlt around it.
JUMP_TARGET = 0x180
CALL_TARGET = 0x100
RET_TARGET = -0x200
JCC_DISP = 0x120
JMP8_DISP = 0x40
SENTINEL = 0x5E47                   # top bits of the words above the stack pointer, numbered upwards
SENTINELS = 8

# "[[row]]", "[[ row ]]  # a comment": the header of one row, whose line a row error names.
_ROW_HEADER = re.compile(r"\s*\[\[\s*row\s*\]\]")
# Where tomllib's message says it stopped: "... (at line 6, column 6)".
_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)")
_ROW_KEYS = {"insn", "stack", "ring", "cc", "flags", "form", "value", "count", "roundtrip",
             "variant", "expect", "check", "arch", "delivery", "group", "skip", "name"}


class Status(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class VariantEdit:
    """Replace `old` (which must occur exactly once) by `new` in one part of the code under test."""

    part: str        # "header" (the helpers) or "entry" (the entry stub with the gap)
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Variant:
    """A deliberately faulty version of the code under test: a negative control or a mutant."""

    name: str
    about: str
    edits: tuple[VariantEdit, ...]
    path: str


@dataclass(frozen=True, slots=True)
class Scenario:
    """One expanded row: everything a run needs, and where in which table it was written."""

    group: str
    name: str
    insn: str
    ring: int = 0
    stack: str = "aligned"
    cc: int = 0
    flags: int = BASE_FLAGS
    form: str = "rel32"
    value: int = 0x12345678
    count: int = 1
    roundtrip: bool = False
    variant: Variant | None = None
    expect: str = "pass"
    checks: tuple[str, ...] = ()
    arch: str | None = None
    delivery: str | None = None
    skip: str | None = None
    path: str = ""
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one scenario: `reason` says why in one line; `evidence` is plain data (JSON)."""

    scenario: Scenario
    status: Status
    reason: str = ""
    evidence: dict[str, Any] | None = field(default=None, hash=False)
    #: why an ERROR outcome could not run, for a caller that tells a limit hit from a broken build
    error: Exception | None = field(default=None, compare=False, hash=False)


# --- reading tables ---------------------------------------------------------------------------------

def builtin_tables() -> list[Path]:
    folder = resources.files("toolkit.validate") / "tables"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_table(path: Path, variants: Callable[[str, Path, int | None], Variant] | None = None
               ) -> list[Scenario]:
    """The scenarios of one table, rules expanded, in the order written."""
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error("not a valid scenario table", path, error) from None
    lines = [n for n, line in enumerate(text.splitlines(), 1) if _ROW_HEADER.match(line)]
    rows = data.get("row")
    if not isinstance(rows, list) or not rows:
        raise InputError("a scenario table needs [[row]] entries", path=str(path))
    find_variant = variants or _variant_beside
    scenarios = []
    for index, row in enumerate(rows):
        line = lines[index] if index < len(lines) else None
        scenarios += _expand(row, data.get("group", path.stem), path, line, find_variant)
    return scenarios


def _variant_beside(name: str, table: Path, line: int | None) -> Variant:
    path = table.parent / "variants" / f"{name}.toml"
    if not path.is_file():
        raise InputError(f"unknown variant {name!r} (there is no {path})", path=str(table),
                         line=line)
    return load_variant(path)


def load_variant(path: Path) -> Variant:
    """A variant file: `about` (what is wrong) and `[[edit]]` entries with part, old, new."""
    data = _toml(path)
    edits = data.get("edit")
    if not isinstance(edits, list) or not edits or not isinstance(data.get("about"), str):
        raise InputError("a variant needs `about` and at least one [[edit]]", path=str(path))
    parsed = []
    for edit in edits:
        if not isinstance(edit, dict) or edit.get("part") not in ("header", "entry") \
                or not isinstance(edit.get("old"), str) or not isinstance(edit.get("new"), str):
            raise InputError("an [[edit]] needs part (header or entry), old and new",
                             path=str(path))
        parsed.append(VariantEdit(edit["part"], edit["old"], edit["new"]))
    return Variant(path.stem, data["about"], tuple(parsed), str(path))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("cannot read the file", path=str(path), why=str(error)) from None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as error:
        raise _toml_error("not valid TOML", path, error) from None


def _toml_error(what: str, path: Path, error: Exception) -> InputError:
    """The error of a TOML file that does not parse, at the line tomllib names in its message
    (Python 3.11 keeps the position only there)."""
    found = _TOML_AT.search(str(error))
    if found is None:
        return InputError(what, path=str(path), why=str(error))
    return InputError(what, path=str(path), line=int(found.group(1)),
                      why=str(error)[:found.start()].rstrip())


def _expand(row: dict, group: str, path: Path, line: int | None,
            find_variant: Callable[[str, Path, int | None], Variant]) -> list[Scenario]:
    def bad(what: str) -> InputError:
        return InputError(what, path=str(path), line=line)

    _check_row(row, bad)
    stacks = row.get("stack", "aligned")
    stacks = [stacks] if isinstance(stacks, str) else stacks
    if not isinstance(stacks, list) or not stacks or any(s not in STACKS for s in stacks):
        raise bad(f"stack must be one or a list of {', '.join(STACKS)}")
    ccs = _numbers(row.get("cc", 0), range(16), "cc", bad)
    flag_sets = _flag_sets(row.get("flags", "base"), bad)
    variant = find_variant(row["variant"], path, line) if "variant" in row else None
    checks = row.get("check", [])
    checks = [checks] if isinstance(checks, str) else checks
    if not isinstance(checks, list) or any(not isinstance(c, str) for c in checks):
        raise bad("check must be a check's name or a list of them")
    for check in checks:
        if check not in CHECKS:
            raise bad(f"unknown check {check!r} (known: {', '.join(CHECKS)})")
    base = Scenario(group=row.get("group", group), name="", insn=row["insn"],
                    ring=row.get("ring", 0), form=row.get("form", "rel32"),
                    value=row.get("value", 0x12345678), count=row.get("count", 1),
                    roundtrip=row.get("roundtrip", False), variant=variant,
                    expect=row.get("expect", "pass"), checks=tuple(checks), arch=row.get("arch"),
                    delivery=row.get("delivery"), skip=row.get("skip"), path=str(path), line=line)
    scenarios = []
    for stack, cc, flags in itertools.product(stacks, ccs, flag_sets):
        name = row.get("name") or _name(base, stack, cc, flags, len(flag_sets) > 1)
        scenarios.append(replace(base, name=name, stack=stack, cc=cc, flags=flags))
    return scenarios


# Keys of a row whose value has one type: (key, type, what the message calls it).
_TYPED_KEYS = (("count", int, "a number of pushes"), ("value", int, "a number"),
               ("roundtrip", bool, "true or false"), ("name", str, "text"), ("group", str, "text"),
               ("variant", str, "a variant's name"))
# Keys of a row with a few allowed values: (key, default, allowed, message).
_CHOSEN_KEYS = (("arch", "x86_64", ("x86_64", "x86_32"), "arch must be x86_64 or x86_32"),
                ("delivery", "idt", ("idt", "fred"), "delivery must be idt or fred"),
                ("ring", 0, (0, 3), "ring must be 0 or 3"),
                ("expect", "pass", ("pass", "fail"), "expect must be \"pass\" or \"fail\""),
                ("form", "rel32", ("rel32", "rel8"), "form must be rel32 or rel8"))


def _check_row(row: dict, bad: Callable[[str], InputError]) -> None:
    """Raise `bad(...)` for a key the row must not have or a value it must not hold."""
    unknown = sorted(set(row) - _ROW_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)} in a row "
                  f"(known: {', '.join(sorted(_ROW_KEYS))})")
    for key, kind, what in _TYPED_KEYS:
        # type(), not isinstance(): TOML's true is a bool, and a bool is an int to isinstance.
        if key in row and type(row[key]) is not kind:
            raise bad(f"{key} must be {what}")
    if row.get("count", 1) < 1:
        raise bad("count must be at least 1")
    for key, default, allowed, message in _CHOSEN_KEYS:
        if row.get(key, default) not in allowed:
            raise bad(message)
    if row.get("insn") not in INSNS:
        raise bad(f"insn must be one of {', '.join(INSNS)}, not {row.get('insn')!r}")
    if "skip" in row and not (isinstance(row["skip"], str) and row["skip"].strip()):
        raise bad("a skipped row must say why: skip = \"reason\"")


def _flag_sets(flags, bad: Callable[[str], InputError]) -> list[int]:
    """The RFLAGS values a row runs with: "base", "all" 32 combinations, or named bits set."""
    if flags == "all":
        return [BASE_FLAGS | sum(1 << bit for (name, bit), on in zip(EFLAGS_BITS, combo) if on)
                for combo in itertools.product((0, 1), repeat=len(EFLAGS_BITS))]
    if flags == "base":
        return [BASE_FLAGS]
    names = dict(EFLAGS_BITS)
    if not isinstance(flags, list) or any(not isinstance(n, str) or n not in names for n in flags):
        raise bad(f"flags must be \"all\", \"base\" or a list of {', '.join(names)}")
    return [BASE_FLAGS | sum(1 << names[n] for n in flags)]


def _numbers(value, allowed: range, key: str, bad) -> list[int]:
    if value == "all":
        return list(allowed)
    if isinstance(value, int) and value in allowed:
        return [value]
    raise bad(f"{key} must be \"all\" or a number from {allowed.start} to {allowed.stop - 1}")




def _name(s: Scenario, stack: str, cc: int, flags: int, with_flags: bool) -> str:
    insn = f"j{CC_NAMES[cc]}" + ("8" if s.form == "rel8" else "") if s.insn == "jcc" else s.insn
    parts = [insn if s.count == 1 else f"{insn}x{s.count}", stack]
    if s.ring:
        parts.append(f"ring{s.ring}")
    if with_flags:
        parts.append("+".join(n for n, bit in EFLAGS_BITS if flags >> bit & 1) or "none")
    if s.variant:
        parts.append(s.variant.name)
    return "/".join(parts)


# --- instructions --------------------------------------------------------------------------------

def site_code(s: Scenario, site: int, callee: int) -> bytes:
    """The real instruction(s) the scenario emulates, as bytes at `site`."""
    if s.insn == "call":
        return b"\xe8" + struct.pack("<i", call_target(s, site, callee) - (site + 5))  # call rel32
    if s.insn == "jmp32":
        return b"\xe9" + struct.pack("<i", JUMP_TARGET - 5)                             # jmp rel32
    if s.insn == "jmp8":
        return b"\xeb" + struct.pack("<b", JMP8_DISP)                                   # jmp rel8
    if s.insn == "push":
        return (b"\x68" + struct.pack("<i", _signed32(s.value))) * s.count              # push $imm32
    if s.insn == "pop":
        return b"\x58"                                                                  # pop %rax/%eax
    if s.insn == "ret":
        return b"\xc3"                                                                  # ret
    if s.form == "rel8":
        return bytes((0x70 | s.cc,)) + struct.pack("<b", JMP8_DISP)                     # jcc rel8
    return bytes((0x0F, 0x80 | s.cc)) + struct.pack("<i", JCC_DISP)                     # jcc rel32


def call_target(s: Scenario, site: int, callee: int) -> int:
    return callee if s.roundtrip else site + CALL_TARGET


def handler_parameters(s: Scenario, site: int, callee: int, word: int) -> bytes:
    """The words of struct toolkit_scenario (validate/handlers/scenario.c) for this scenario."""
    length = len(site_code(s, site, callee))
    mask = (1 << 8 * word) - 1
    target = {"call": call_target(s, site, callee), "jmp32": site + JUMP_TARGET,
              "jmp8": site + 2 + JMP8_DISP}.get(s.insn, 0)
    disp = JMP8_DISP if s.form == "rel8" else JCC_DISP
    words = (HELPER_CODE[HELPER_OF[s.insn]], target, _signed32(s.value) & mask, length, s.cc,
             disp & mask, s.count)
    return struct.pack(pack_format(word, len(words)), *words)


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


# --- extra checks a row can ask for ----------------------------------------------------------------

def _pt_regs_at_task_top(s: Scenario, run, machine, ptregs_size: int) -> str | None:
    """From ring 3 there is no gap: pt_regs ends exactly at the task stack top (under FRED, the
    frame's event-data and reserved words still follow pt_regs.ss)."""
    frame = run.frame
    above_ss = 0 if frame is None else frame.word * (len(frame.slots) - frame.slots.index("ss") - 1)
    expected = (machine.layout.task_top & ~0xF) - ptregs_size - above_ss
    if run.pt_regs != expected:
        return (f"pt_regs at {address(run.pt_regs)}, expected {address(expected)} "
                f"(right below the task stack top)")
    return None


def _lands_after_call(s: Scenario, run, machine, ptregs_size: int) -> str | None:
    """The callee's ret comes back to the byte after the 5-byte call at the site."""
    site = machine.layout.user_site if s.ring == 3 else machine.layout.site
    if run.stopped_at != site + 5:
        return f"landed at {address(run.stopped_at)}, not at site + 5 ({address(site + 5)})"
    return None


CHECKS = {"pt_regs_at_task_top": _pt_regs_at_task_top, "lands_after_call": _lands_after_call}


def address(value: int | None) -> str:
    """An address as verdicts write it ("none" when a run has none)."""
    return "none" if value is None else f"{value:#x}"
