"""Scenario tables: TOML rows of input and expectation, expanded into scenarios and judged as outcomes.

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
from typing import Any, Callable, Iterable, Sequence

from toolkit.errors import InputError

INSNS = ("call", "jmp32", "jmp8", "push", "pop", "ret", "jcc")
STACKS = ("aligned", "misaligned", "page")
# The flags a Jcc can test, by bit; "all" means every one of their 32 combinations.
JCC_FLAGS = (("CF", 0), ("PF", 2), ("ZF", 6), ("SF", 7), ("OF", 11))
BASE_FLAGS = 0x202           # IF and the always-one bit: an ordinary kernel context
HELPER_OF = {"call": "call", "jmp32": "jmp", "jmp8": "jmp", "push": "push", "pop": "pop",
             "ret": "ret", "jcc": "jcc"}
# Values of enum toolkit_helper in data/handlers/scenario.c.
HELPER_CODE = {"jmp": 1, "push": 2, "pop": 3, "call": 4, "ret": 5, "jcc": 6}
# Landing pads relative to the site, all inside the page of hlt around it.
JUMP_TARGET = 0x180
CALL_TARGET = 0x100
RET_TARGET = -0x200
JCC_DISP = 0x120
JMP8_DISP = 0x40
SENTINEL = 0x5E47                   # top bits of the words above the stack pointer, numbered upwards
SENTINELS = 8

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
class Edit:
    """Replace `old` (which must occur exactly once) by `new` in one part of the code under test."""

    part: str        # "header" (the helpers) or "entry" (the entry stub with the gap)
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Variant:
    """A deliberately faulty version of the code under test: a negative control or a mutant."""

    name: str
    about: str
    edits: tuple[Edit, ...]
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


# --- reading tables ---------------------------------------------------------------------------------

def builtin_tables() -> list[Path]:
    folder = resources.files("toolkit") / "data" / "scenarios"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_table(path: Path, variants: Callable[[str, Path, int | None], Variant] | None = None
               ) -> list[Scenario]:
    """The scenarios of one table, rules expanded, in the order written."""
    text = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError("not a valid scenario table", path=str(path), why=str(error)) from None
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[row]]")]
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
        if edit.get("part") not in ("header", "entry") or not isinstance(edit.get("old"), str) \
                or not isinstance(edit.get("new"), str):
            raise InputError("an [[edit]] needs part (header or entry), old and new",
                             path=str(path))
        parsed.append(Edit(edit["part"], edit["old"], edit["new"]))
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
        raise InputError("not valid TOML", path=str(path), why=str(error)) from None


def _expand(row: dict, group: str, path: Path, line: int | None,
            find_variant: Callable[[str, Path, int | None], Variant]) -> list[Scenario]:
    def bad(what: str) -> InputError:
        return InputError(what, path=str(path), line=line)

    unknown = sorted(set(row) - _ROW_KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)} in a row "
                  f"(known: {', '.join(sorted(_ROW_KEYS))})")
    for key, kind, what in (("count", int, "a number of pushes"), ("value", int, "a number"),
                            ("roundtrip", bool, "true or false"), ("name", str, "text"),
                            ("group", str, "text"), ("variant", str, "a variant's name")):
        # type(), not isinstance(): TOML's true is a bool, and a bool is an int to isinstance.
        if key in row and type(row[key]) is not kind:
            raise bad(f"{key} must be {what}")
    if row.get("count", 1) < 1 or row.get("arch", "x86_64") not in ("x86_64", "x86_32") \
            or row.get("delivery", "idt") not in ("idt", "fred"):
        raise bad("count must be at least 1, arch x86_64 or x86_32, delivery idt or fred")
    insn = row.get("insn")
    if insn not in INSNS:
        raise bad(f"insn must be one of {', '.join(INSNS)}, not {insn!r}")
    stacks = row.get("stack", "aligned")
    stacks = [stacks] if isinstance(stacks, str) else stacks
    if not stacks or any(s not in STACKS for s in stacks):
        raise bad(f"stack must be one or a list of {', '.join(STACKS)}")
    ccs = _numbers(row.get("cc", 0), range(16), "cc", bad)
    if row.get("flags", "base") == "all":
        flag_sets = [BASE_FLAGS | sum(1 << bit for (name, bit), on in zip(JCC_FLAGS, combo) if on)
                     for combo in itertools.product((0, 1), repeat=len(JCC_FLAGS))]
    elif row.get("flags", "base") == "base":
        flag_sets = [BASE_FLAGS]
    else:
        names = dict(JCC_FLAGS)
        if not isinstance(row["flags"], list) or any(n not in names for n in row["flags"]):
            raise bad(f"flags must be \"all\", \"base\" or a list of {', '.join(names)}")
        flag_sets = [BASE_FLAGS | sum(1 << names[n] for n in row["flags"])]
    if row.get("ring", 0) not in (0, 3) or row.get("expect", "pass") not in ("pass", "fail"):
        raise bad("ring must be 0 or 3 and expect \"pass\" or \"fail\"")
    if row.get("form", "rel32") not in ("rel32", "rel8"):
        raise bad("form must be rel32 or rel8")
    if "skip" in row and not (isinstance(row["skip"], str) and row["skip"].strip()):
        raise bad("a skipped row must say why: skip = \"reason\"")
    variant = find_variant(row["variant"], path, line) if "variant" in row else None
    checks = row.get("check", [])
    checks = (checks,) if isinstance(checks, str) else tuple(checks)
    for check in checks:
        if check not in CHECKS:
            raise bad(f"unknown check {check!r} (known: {', '.join(CHECKS)})")
    base = Scenario(group=row.get("group", group), name="", insn=insn, ring=row.get("ring", 0),
                    form=row.get("form", "rel32"), value=row.get("value", 0x12345678),
                    count=row.get("count", 1), roundtrip=row.get("roundtrip", False),
                    variant=variant, expect=row.get("expect", "pass"), checks=checks,
                    arch=row.get("arch"), delivery=row.get("delivery"), skip=row.get("skip"),
                    path=str(path), line=line)
    scenarios = []
    for stack, cc, flags in itertools.product(stacks, ccs, flag_sets):
        name = row.get("name") or _name(base, stack, cc, flags, len(flag_sets) > 1)
        scenarios.append(replace(base, name=name, stack=stack, cc=cc, flags=flags))
    return scenarios


def _numbers(value, allowed: range, key: str, bad) -> list[int]:
    if value == "all":
        return list(allowed)
    if isinstance(value, int) and value in allowed:
        return [value]
    raise bad(f"{key} must be \"all\" or a number from {allowed.start} to {allowed.stop - 1}")


_CC_NAMES = ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g")


def _name(s: Scenario, stack: str, cc: int, flags: int, with_flags: bool) -> str:
    insn = f"j{_CC_NAMES[cc]}" + ("8" if s.form == "rel8" else "") if s.insn == "jcc" else s.insn
    parts = [insn if s.count == 1 else f"{insn}x{s.count}", stack]
    if s.ring:
        parts.append(f"ring{s.ring}")
    if with_flags:
        parts.append("+".join(n for n, bit in JCC_FLAGS if flags >> bit & 1) or "none")
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
    """The words of struct toolkit_scenario (data/handlers/scenario.c) for this scenario."""
    length = len(site_code(s, site, callee))
    mask = (1 << 8 * word) - 1
    target = {"call": call_target(s, site, callee), "jmp32": site + JUMP_TARGET,
              "jmp8": site + 2 + JMP8_DISP}.get(s.insn, 0)
    disp = JMP8_DISP if s.form == "rel8" else JCC_DISP
    words = (HELPER_CODE[HELPER_OF[s.insn]], target, _signed32(s.value) & mask, length, s.cc,
             disp & mask, s.count)
    return struct.pack(f"<{len(words)}{'Q' if word == 8 else 'I'}", *words)


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
        return (f"pt_regs at {_hex(run.pt_regs)}, expected {_hex(expected)} "
                f"(right below the task stack top)")
    return None


def _lands_after_call(s: Scenario, run, machine, ptregs_size: int) -> str | None:
    """The callee's ret comes back to the byte after the 5-byte call at the site."""
    site = machine.layout.user_site if s.ring == 3 else machine.layout.site
    if run.stopped_at != site + 5:
        return f"landed at {_hex(run.stopped_at)}, not at site + 5 ({_hex(site + 5)})"
    return None


CHECKS = {"pt_regs_at_task_top": _pt_regs_at_task_top, "lands_after_call": _lands_after_call}


def _hex(value: int | None) -> str:
    return "none" if value is None else f"{value:#x}"


# --- the code under test ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Code:
    """The code under test for one architecture and event delivery: helper header, prelude and
    entry stub as text, plus which helpers the header has (rows for the others are skipped)."""

    label: str
    arch: str
    delivery: str
    prelude: str
    header: str
    entry: str
    helpers: tuple[str, ...]

    def with_variant(self, variant: Variant) -> "Code":
        """This code with the variant's edits made; VariantMismatch when one does not fit."""
        parts = {"header": self.header, "entry": self.entry}
        for edit in variant.edits:
            found = parts[edit.part].count(edit.old)
            if found != 1:
                raise VariantMismatch(f"{variant.name}: the text to replace occurs {found} times "
                                      f"in the {edit.part} of {self.label}")
            parts[edit.part] = parts[edit.part].replace(edit.old, edit.new)
        return replace(self, label=f"{self.label} + {variant.name}", **parts)

    def sources(self):
        from toolkit.build import Source

        handler = (resources.files("toolkit") / "data" / "handlers" / "scenario.c").read_text()
        have = "".join(f"#define TOOLKIT_HAVE_{h.upper()} 1\n" for h in self.helpers)
        return [Source("toolkit_prelude.h", self.prelude),
                Source("text-patching.h", self.header),
                Source("toolkit_scenario_helpers.h", have),
                Source("scenario.c", handler),
                Source("entry.s", self.entry)]


class VariantMismatch(Exception):
    """A variant's edit does not fit the code under test (its text is not there exactly once)."""


def generated_code(arch: str, delivery: str = "idt") -> Code:
    """The project's own generated helpers and harness; FRED has its own entry (no software gap)."""
    from toolkit import codegen
    from toolkit.target import Target

    target = Target(arch=arch)
    if delivery == "fred":
        entry = (resources.files("toolkit") / "data" / "handlers" / "fred_entry_64.s").read_text()
    else:
        entry = codegen.render_harness(target)
    return Code(f"generated {arch} {delivery}", arch, delivery, codegen.render_prelude(target),
                codegen.render_header(target), entry, target.helpers)


def deliveries(arch: str, tree: Path | None = None) -> tuple[str, ...]:
    """The event delivery models to validate `arch` under: FRED only on x86_64, and for a kernel
    tree only when the tree has FRED entry code (v6.9 and later)."""
    if arch != "x86_64" or (tree is not None and not (tree / FRED_ENTRY).exists()):
        return ("idt",)
    return ("idt", "fred")


FRED_ENTRY = "arch/x86/entry/entry_fred.c"


def tree_code(tree: Path, arch: str, delivery: str = "idt") -> Code:
    """The helpers of a kernel tree's text-patching.h (through the header model) with, on x86_64
    through the IDT, the gap block of its entry_64.S in place of the generated one.

    The gap block runs inside the generated harness, which defines what the kernel's macro gets
    from elsewhere: CS and ORIG_RAX from the pt_regs model, both macro parameters (`vector` since
    v5.8, `create_gap` before), and every annotation macro in the block as one that emits nothing.
    On x86_32 the frame fix-up stays the generated one; FRED has no software gap to take."""
    from toolkit import cheader, codegen, ptregs

    generated = generated_code(arch, delivery)
    tree_layout = ptregs.from_tree(str(tree), arch)
    if [(s.name, s.offset) for s in tree_layout.slots] != [
            (s.name, s.offset) for s in ptregs.reference(arch).slots]:
        raise InputError(f"struct pt_regs for {arch} differs from the layout the harness uses",
                         path=str(tree / ptregs.PTRACE_H))
    header = cheader.read_header(str(tree / codegen.TEXT_PATCHING_H))
    helpers = tuple(h for h in generated.helpers if header.function(f"int3_emulate_{h}"))
    if not helpers:
        raise InputError("no int3_emulate_* helpers found", path=str(tree / codegen.TEXT_PATCHING_H))
    entry, part = generated.entry, "helpers"
    if arch == "x86_64" and delivery == "idt":
        entry, part = _with_tree_gap(entry, tree / codegen.ENTRY_64), "helpers and entry gap"
    return Code(f"{tree.name} {arch} {delivery} ({part} from the tree)", arch, delivery,
                generated.prelude,
                cheader.translation_unit(header, [f"int3_emulate_{h}" for h in helpers]),
                entry, helpers)


def _with_tree_gap(harness: str, path: Path) -> str:
    from toolkit import gapblock

    lines = _read(path).splitlines(keepends=True)
    found = gapblock.locate(lines)
    if found is None:
        raise InputError("no entry-gap block", path=str(path), why=gapblock.EXPECTED)
    start, end, _ = found
    block = "".join(lines[start:end + 1])
    # Annotations (UNWIND_HINT_*, ENDBR, ...) are the upper-case words that start a line; GNU as
    # needs each keyword argument they are given (offset=8) declared as a parameter.
    annotations: dict[str, set[str]] = {}
    for name, arguments in re.findall(r"^\s*([A-Z][A-Z0-9_]+)\b(?!\s*[,=])(.*)$", block, re.M):
        annotations.setdefault(name, set()).update(re.findall(r"(\w+)\s*=", arguments))
    noops = "".join(f".macro {name} {' '.join(f'{k}=0' for k in sorted(keys))} rest:vararg\n.endm\n"
                    for name, keys in sorted(annotations.items()))
    # The generated gap macro is replaced by one of the same name and call that expands the
    # tree's block, so that the controls' edits of the call or of the copy loop apply to it too.
    # Both macro styles are served: `vector` since v5.8, `create_gap` (1 only for #BP) before.
    wrapper = (f"/* The entry gap of {path} (lines {start + 1}-{end + 1}) */\n{noops}"
               f".macro toolkit_tree_gap vector create_gap\n{block}.endm\n"
               ".macro toolkit_idtentry_gap vector\n"
               "\t.if \\vector == X86_TRAP_BP\n\t\ttoolkit_tree_gap \\vector, 1\n"
               "\t.else\n\t\ttoolkit_tree_gap \\vector, 0\n\t.endif\n.endm\n")
    generated = re.findall(r"^\.macro toolkit_idtentry_gap\b.*?^\.endm\n", harness, re.M | re.S)
    if len(generated) != 1:
        raise InputError("the generated harness no longer has one gap macro to replace")
    return harness.replace(generated[0], wrapper)


# --- running and judging ---------------------------------------------------------------------------

def validate(code: Code, scenarios: Sequence[Scenario], *, cache: Path | None = None,
             progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Outcomes of `scenarios` on `code`, in the order given. One build and one machine per variant."""
    from toolkit import build, emulate
    from toolkit.errors import ToolkitError

    # A missing compiler is no scenario's fault: say so once, before anything runs.
    build.Toolchain.from_environ().resolve()
    outcomes: dict[int, Outcome] = {}
    runnable: dict[Variant | None, list[tuple[int, Scenario]]] = {}
    for index, s in enumerate(scenarios):
        reason = skip_reason(s, code)
        if reason:
            outcomes[index] = Outcome(s, Status.SKIPPED, reason)
        else:
            runnable.setdefault(s.variant, []).append((index, s))
    done = len(outcomes)
    for variant, batch in runnable.items():
        try:
            varied = code.with_variant(variant) if variant else code
            image = build.build(varied.sources(), code.arch, cache=cache)
            machine = emulate.Machine(image, delivery=code.delivery)
        except VariantMismatch as error:
            outcomes.update((i, Outcome(s, Status.SKIPPED, str(error))) for i, s in batch)
            continue
        except ToolkitError as error:
            outcomes.update((i, Outcome(s, Status.ERROR, f"cannot run: {error}")) for i, s in batch)
            continue
        runner = Runner(machine, code)
        for (index, s), outcome in zip(batch, runner.judge_all([s for _, s in batch])):
            outcomes[index] = outcome
            done += 1
            if progress and done % 64 == 0:
                progress(done, len(scenarios))
    if progress:
        progress(len(scenarios), len(scenarios))
    return [outcomes[i] for i in range(len(scenarios))]


def skip_reason(s: Scenario, code: Code) -> str | None:
    if s.skip:
        return s.skip
    if s.arch and s.arch != code.arch:
        return f"only for {s.arch}"
    if s.delivery and s.delivery != code.delivery:
        return f"only for {s.delivery} event delivery"
    if HELPER_OF[s.insn] not in code.helpers:
        return f"{code.label} has no int3_emulate_{HELPER_OF[s.insn]}"
    if s.insn in ("push", "pop", "jcc") and "jmp" not in code.helpers:
        return f"{code.label} has no int3_emulate_jmp to continue after {s.insn}"
    return None


# Runs of the real instructions, by architecture, instruction bytes and probe.
_REFERENCES: dict[tuple, Any] = {}


def forget_references() -> None:
    """Run every real instruction again from now on (a benchmark's cold start)."""
    _REFERENCES.clear()


class Runner:
    """Runs scenarios on one machine: every reference first (each distinct instruction is placed
    once), then every emulated run with int3 at the site."""

    def __init__(self, machine, code: Code) -> None:
        from toolkit import ptregs

        self.machine = machine
        self.layout = machine.layout
        self.word = machine.layout.word
        self.ptregs = ptregs.reference(code.arch)
        # Every general register starts with its own pattern, so that a swap or a clobber shows.
        self.registers = tuple(
            (name, 0x0101010101010101 * (i + 1) & (1 << 8 * self.word) - 1)
            for i, name in enumerate(self.layout.registers[:-4]) if name != self.layout.sp)
        self.stacks: dict[tuple, tuple[int, int, bytes]] = {}    # sp, top, words above sp
        self.kernel_callee = machine.image.symbol("toolkit_callee")
        self.parameters = machine.image.symbol("toolkit_scenario")
        # A user-mode call cannot reach kernel text, so from ring 3 the callee is a bare ret.
        self.user_callee = self.layout.user_site + CALL_TARGET
        machine.place(self.user_callee, b"\xc3")                                        # ret

    def callee(self, s: Scenario) -> int:
        return self.user_callee if s.ring == 3 else self.kernel_callee

    def judge_all(self, scenarios: Sequence[Scenario]) -> list[Outcome]:
        from toolkit.emulate import INT3

        probes = [self.probe(s) for s in scenarios]
        codes = [site_code(s, self._site(s), self.callee(s)) for s in scenarios]
        references = {}
        for i in sorted(range(len(scenarios)), key=lambda i: (scenarios[i].ring, codes[i])):
            # The real instruction's behaviour depends on nothing but its bytes and its input, so
            # it is run once per architecture; a round trip also runs the image's own callee.
            key = None if scenarios[i].roundtrip else (self.layout.arch, codes[i], probes[i])
            if key not in _REFERENCES:
                self.machine.place(self._site(scenarios[i]), codes[i])
                run = self.machine.run(probes[i])
                if key is None:
                    references[i] = run
                    continue
                _REFERENCES[key] = run
            references[i] = _REFERENCES[key]
        self.machine.place(self.layout.site, INT3)
        self.machine.place(self.layout.user_site, INT3)
        # Rows that exercise the frame itself are always watched: some damage (a clobbered saved
        # SS on x86_32, say) changes no register and only the write hook sees it. They run last,
        # because a watched run leaves the translation cache to be rebuilt.
        watched = [s.roundtrip or bool(s.checks) or s.expect == "fail" or s.variant is not None
                   for s in scenarios]
        outcomes = {}
        for i in sorted(range(len(scenarios)), key=watched.__getitem__):
            run = self.machine.run(probes[i], watch=watched[i])
            outcomes[i] = self.judge(scenarios[i], references[i], run, probes[i])
        return [outcomes[i] for i in range(len(scenarios))]

    def _site(self, s: Scenario) -> int:
        return self.layout.user_site if s.ring == 3 else self.layout.site

    def probe(self, s: Scenario):
        from toolkit.emulate import Probe

        layout, word = self.layout, self.word
        site = self._site(s)
        key = (s.ring, s.stack, s.insn == "ret")
        if key not in self.stacks:
            top = layout.user_stack_top if s.ring == 3 else layout.stack_top
            sp = {"aligned": top - 0x100, "misaligned": top - 0x108,
                  "page": top - SENTINELS * word}[s.stack]
            words = [(SENTINEL << 8 * word - 16) + i for i in range(SENTINELS)]
            if s.insn == "ret":
                words[0] = site + RET_TARGET
            fmt = "<%d%s" % (SENTINELS, "Q" if word == 8 else "I")
            self.stacks[key] = (sp, top, struct.pack(fmt, *words))
        sp, top, words = self.stacks[key]
        return Probe(site, self.registers + ((layout.sp, sp), (layout.flags, s.flags)),
                     memory=((sp, words),
                             (self.parameters, handler_parameters(s, site, self.callee(s), word))),
                     window=(sp - 64 * word, top), ring=s.ring)

    def judge(self, s: Scenario, reference, run, probe) -> Outcome:
        from toolkit import evidence

        if reference.stop != "halt":
            return Outcome(s, Status.ERROR, f"the real instruction did not complete: "
                           f"{reference.stop} {reference.detail} at {_hex(reference.stopped_at)}")
        problem = self.difference(s, reference, run)
        report = None
        if problem is not None or run.trace:
            # An unwatched run that went wrong is run again watched, for the evidence and for the
            # write hook, which names the cause (the slot hit, by which instruction) where the
            # difference shows only a symptom.
            watched = run if run.trace else self.machine.run(probe, watch=True)
            bad = evidence.bad_writes(watched, self.ptregs)
            if bad:
                problem = "; ".join(filter(None, (bad[0]["text"], problem)))
            if problem is not None:
                report = evidence.collect(s.name, probe, reference, watched, self.layout,
                                          self.ptregs)
        caught = problem is not None
        if s.expect == "fail":
            status = Status.PASSED if caught else Status.FAILED
            reason = (f"caught: {problem}" if caught else
                      "not caught: the faulty code behaved like the real instruction")
        else:
            status = Status.FAILED if caught else Status.PASSED
            reason = problem or ""
        return Outcome(s, status, reason, report)

    def difference(self, s: Scenario, reference, run) -> str | None:
        """The first way the emulated run differs from the real instruction, or None."""
        if run.stop != "halt":
            return {"fault": f"{run.detail} fault at {_hex(run.stopped_at)}",
                    "unmapped": f"unmapped {run.detail}, by the instruction at "
                                f"{_hex(run.stopped_at)}"}.get(
                run.stop, f"{run.detail} (stopped at {_hex(run.stopped_at)})")
        if run.registers != reference.registers:
            return ", ".join(f"{name} {run.registers[name]:#x} (real instruction: {value:#x})"
                             for name, value in reference.registers.items()
                             if run.registers[name] != value)
        sp = reference.registers[self.layout.sp]
        start, real = reference.window
        _, emulated = run.window
        above = sp - start
        for offset in range(above, len(real), self.word) if real[above:] != emulated[above:] else ():
            want, got = real[offset:offset + self.word], emulated[offset:offset + self.word]
            if want != got:
                return (f"stack word at {_hex(start + offset)} (sp+{offset - (sp - start)}) is "
                        f"{int.from_bytes(got, 'little'):#x} (real instruction: "
                        f"{int.from_bytes(want, 'little'):#x})")
        for check in s.checks:
            problem = CHECKS[check](s, run, self.machine, self.ptregs.size)
            if problem:
                return problem
        return None


# --- the report of a validation --------------------------------------------------------------------

SHOWN = 5      # failed scenarios listed per group in the text report


@dataclass(frozen=True, slots=True)
class Report:
    """Outcomes per code under test; owns the group lines, the summary and the exit code."""

    results: tuple[tuple[Code, tuple[Outcome, ...]], ...]
    seconds: float = 0.0

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for _, outcomes in self.results for o in outcomes]

    @property
    def exit_code(self) -> int:
        statuses = {o.status for o in self.outcomes}
        return 1 if Status.FAILED in statuses else 2 if Status.ERROR in statuses else 0

    def counts(self, outcomes: Iterable[Outcome] | None = None) -> dict[str, int]:
        counted = {str(status): 0 for status in Status}
        for outcome in self.outcomes if outcomes is None else outcomes:
            counted[str(outcome.status)] += 1
        return counted

    def text(self) -> str:
        lines = []
        for code, outcomes in self.results:
            lines.append(code.label)
            groups: dict[str, list[Outcome]] = {}
            for outcome in outcomes:
                groups.setdefault(outcome.scenario.group, []).append(outcome)
            for group, members in groups.items():
                counted = self.counts(members)
                verdict = ("FAIL" if counted["failed"] else "ERROR" if counted["error"] else
                           "SKIP" if counted["skipped"] == len(members) else "PASS")
                detail = ", ".join(f"{n} {status}" for status, n in counted.items() if n)
                lines.append(f"  {verdict:<5} {group:<10} {detail}")
                bad = [o for o in members if o.status in (Status.FAILED, Status.ERROR)]
                for o in bad[:SHOWN]:
                    lines.append(f"        {o.scenario.name}: {o.reason}  [{o.scenario.where}]")
                if len(bad) > SHOWN:
                    lines.append(f"        ... and {len(bad) - SHOWN} more (all of them: "
                                 f"--format json)")
        counted = self.counts()
        lines.append(f"{len(self.outcomes)} scenarios: " + ", ".join(
            f"{n} {status}" for status, n in counted.items()) + f" ({self.seconds:.1f} s)")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        import json

        return json.dumps({
            "results": [{"code": code.label, "arch": code.arch, "delivery": code.delivery,
                         "outcomes": [{"group": o.scenario.group, "name": o.scenario.name,
                                       "status": str(o.status), "reason": o.reason,
                                       "row": o.scenario.where, "evidence": o.evidence}
                                      for o in outcomes]}
                        for code, outcomes in self.results],
            "summary": self.counts(), "exit_code": self.exit_code}, indent=2) + "\n"
