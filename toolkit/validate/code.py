"""The code under test: the helper header, prelude and entry stub a validation builds and runs.

It is either the project's own generated code or a kernel tree's helpers and entry code: its gap
block in the generated x86_64 harness, its FIXUP_FRAME and IRET_FRAME, or its FRED kernel entry,
in a harness laid out as the kernel's own entry; a scenario's variant edits it into a deliberately
faulty version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from toolkit import gapblock, x86
from toolkit.cmodel import header as cheader
from toolkit.cmodel import ptregs
from toolkit.codegen import render
from toolkit.codegen.target import Target
from toolkit.emulate.build import SourceFile, build
from toolkit.errors import InputError
from toolkit.validate import kernelentry
from toolkit.validate.scenarios import Variant
from toolkit.x86 import DELIVERIES, ENTRY_64, TEXT_PATCHING_H


@dataclass(frozen=True, slots=True)
class CodeUnderTest:
    """The code under test for one architecture and event delivery: helper header, prelude and
    entry stub as text, plus which helpers the header has (rows for the others are skipped).

    `entry_name` says how the entry is built (`.S`: through the C preprocessor, as a kernel's own
    entry code is); `missing` is why there is nothing to run (a kernel tree without the piece),
    which every scenario is then skipped with."""

    label: str
    arch: str
    delivery: str
    prelude: str
    header: str
    entry: str
    helpers: tuple[str, ...]
    entry_name: str = "entry.s"
    missing: str | None = None

    def with_variant(self, variant: Variant) -> "CodeUnderTest":
        """This code with the variant's edits made; VariantMismatch when one does not fit."""
        parts = {"header": self.header, "entry": self.entry}
        for edit in variant.edits:
            text = parts[edit.part]
            found = [(m.start(), m.end()) for m in re.finditer(re.escape(edit.old), text)]
            if len(found) != 1:
                # A tree of another era may lay the same instructions out with other indentation
                # (the 2019 gap sits one .if shallower than today's): any run of blanks will do.
                loose = r"\s+".join(re.escape(word) for word in edit.old.split())
                found = [(m.start(), m.end()) for m in re.finditer(loose, text)] if loose else []
            if len(found) != 1:
                raise VariantMismatch(f"{variant.name}: the text to replace occurs {len(found)} "
                                      f"times in the {edit.part} of {self.label}")
            (start, end), = found
            parts[edit.part] = text[:start] + (edit.new.strip() if text[start:end] != edit.old
                                               else edit.new) + text[end:]
        return replace(self, label=f"{self.label} + {variant.name}", **parts)

    def sources(self):
        handler = (resources.files("toolkit.validate") / "handlers" / "scenario.c").read_text()
        have = "".join(f"#define TOOLKIT_HAVE_{h.upper()} 1\n" for h in self.helpers)
        return [SourceFile("toolkit_prelude.h", self.prelude),
                SourceFile("text-patching.h", self.header),
                SourceFile("toolkit_scenario_helpers.h", have),
                SourceFile("scenario.c", handler),
                SourceFile(self.entry_name, self.entry)]


class VariantMismatch(Exception):
    """A variant's edit does not fit the code under test (its text is not there exactly once)."""


def generated_code(arch: str, delivery: str = "idt") -> CodeUnderTest:
    """The project's own generated helpers and harness; under FRED the harness is the FRED
    event entry, which makes no software gap."""
    target = Target(arch=arch, delivery=delivery)
    return CodeUnderTest(f"generated {arch} {delivery}", arch, delivery, render.render_prelude(target),
                render.render_header(target), render.render_harness(target), target.helpers)


def deliveries(arch: str) -> tuple[str, ...]:
    """The event delivery models to validate `arch` under: FRED only on x86_64."""
    return DELIVERIES[arch]


def tree_code(tree: Path, arch: str, delivery: str = "idt") -> CodeUnderTest:
    """The helpers of a kernel tree's text-patching.h (through the header model) with the tree's
    own entry code for the path: on x86_64 through the IDT the gap block of its entry_64.S in the
    generated harness; on x86_32 its FIXUP_FRAME and IRET_FRAME, and under FRED its
    asm_fred_entrypoint_kernel, each in a harness laid out as the kernel's entry around them.

    The gap block runs inside the generated harness, which defines what the kernel's macro gets
    from elsewhere: CS and ORIG_RAX from the pt_regs model, both macro parameters (`vector` since
    v5.8, `create_gap` before), and every annotation macro in the block as one that emits nothing.
    A tree without the x86_32 fix-up (before v5.3) or without FRED (before v6.9) gives code whose
    scenarios are all skipped, saying so."""
    generated = generated_code(arch, delivery)
    tree_layout = ptregs.from_tree(str(tree), arch)
    if [(s.name, s.offset) for s in tree_layout.slots] != [
            (s.name, s.offset) for s in x86.reference(arch).slots]:
        raise InputError(f"struct pt_regs for {arch} differs from the layout the harness uses",
                         path=str(tree / x86.PTRACE_H))
    header = cheader.read_header(str(tree / TEXT_PATCHING_H))
    helpers = tuple(h for h in generated.helpers if header.function(f"int3_emulate_{h}"))
    if not helpers:
        raise InputError("no int3_emulate_* helpers found", path=str(tree / TEXT_PATCHING_H))
    helper_text = cheader.translation_unit(header, [f"int3_emulate_{h}" for h in helpers])
    name = f"{tree.name} {arch} {delivery}"
    if arch == "x86_64" and delivery == "idt":
        return CodeUnderTest(f"{name} (helpers and entry gap from the tree)", arch, delivery,
                             generated.prelude, helper_text,
                             _with_tree_gap(generated.entry, tree / ENTRY_64), helpers)
    try:
        piece = (kernelentry.fred_entry(tree) if delivery == "fred"
                 else kernelentry.fixup_frame(tree))
    except kernelentry.NotInTree as missing:
        return CodeUnderTest(f"{name} (not in the tree)", arch, delivery, generated.prelude,
                             helper_text, generated.entry, helpers, missing=str(missing))
    part = "FRED entry" if delivery == "fred" else "FIXUP_FRAME and IRET_FRAME"
    entry = render.render_kernel_harness(Target(arch=arch, delivery=delivery), piece.text,
                                         piece.label, piece.fs_before_fixup)
    return CodeUnderTest(f"{name} (helpers and {part} from the tree)", arch, delivery,
                         generated.prelude, helper_text, entry, helpers, entry_name="entry.S")


def kernel_entry_code(label: str, arch: str, delivery: str, piece: kernelentry.EntryCode
                      ) -> CodeUnderTest:
    """The generated helpers of `arch` with a kernel's own entry code (`piece`: FIXUP_FRAME and
    IRET_FRAME, or the FRED kernel entry) in the harness laid out as the kernel's entry: what
    a state of the int3 path runs when a patch changed that code, and what the generated
    kernel-layout macros are validated by."""
    generated = generated_code(arch, delivery)
    entry = render.render_kernel_harness(Target(arch=arch, delivery=delivery), piece.text,
                                         piece.label, piece.fs_before_fixup)
    return CodeUnderTest(label, arch, delivery, generated.prelude, generated.header, entry,
                         generated.helpers, entry_name="entry.S")


def generated_kernel_fixup(t: Target) -> CodeUnderTest:
    """FIXUP_FRAME and IRET_FRAME generated in the kernel's layout (what `gen patch` installs in
    entry_32.S), run as the tree's own would be."""
    piece = kernelentry.fixup_text(render.render_kernel_fixup(t), f"toolkit gen ({t.describe()})")
    return kernel_entry_code(f"generated x86_32 FIXUP_FRAME and IRET_FRAME (gap {t.gap_words})",
                             "x86_32", "idt", piece)


def _with_tree_gap(harness: str, path: Path) -> str:
    try:
        lines = path.read_text().splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("cannot read the file", path=str(path), why=str(error)) from None
    found = gapblock.locate(lines)
    if found is None:
        raise InputError("no entry-gap block", path=str(path), why=gapblock.EXPECTED)
    start, end, _ = found
    return with_gap(harness, "".join(lines[start:end + 1]),
                    f"{path} (lines {start + 1}-{end + 1})")


def with_gap(harness: str, block: str, label: str) -> str:
    """The generated trap_bp `harness` with its gap macro replaced by one that expands `block`,
    an entry-gap block as a kernel has it (either macro style; empty for an entry with no gap);
    `label` says in the output where the block came from."""
    # Annotations (UNWIND_HINT_*, ENDBR, ...) are the upper-case words that start a line.
    annotations: dict[str, set[str]] = {}
    for name, arguments in re.findall(r"^\s*([A-Z][A-Z0-9_]+)\b(?!\s*[,=])(.*)$", block, re.M):
        annotations.setdefault(name, set()).update(re.findall(r"(\w+)\s*=", arguments))
    noops = kernelentry.annotation_macros(annotations)
    # The generated gap macro is replaced by one of the same name and call that expands the
    # tree's block, so that the controls' edits of the call or of the copy loop apply to it too.
    # Both macro styles are served: `vector` since v5.8, `create_gap` (1 only for #BP) before.
    wrapper = (f"/* The entry gap of {label} */\n{noops}"
               f".macro toolkit_tree_gap vector create_gap\n{block}.endm\n"
               ".macro toolkit_idtentry_gap vector\n"
               "\t.if \\vector == X86_TRAP_BP\n\t\ttoolkit_tree_gap \\vector, 1\n"
               "\t.else\n\t\ttoolkit_tree_gap \\vector, 0\n\t.endif\n.endm\n")
    generated = re.findall(r"^\.macro toolkit_idtentry_gap\b.*?^\.endm\n", harness, re.M | re.S)
    if len(generated) != 1:
        raise InputError("the generated harness no longer has one gap macro to replace")
    return harness.replace(generated[0], wrapper)


def state_code(label: str, prelude: str, harness: str, macros: str, helper_text: str, gap: str,
               helpers: tuple[str, ...]) -> CodeUnderTest:
    """The code of one state of the int3 path: its macros and helper functions (as C text) read by
    the header model and emitted back as one translation unit of `helpers`, and its entry-gap
    block (empty: the entry makes no gap) in the reference trap_bp `harness`."""
    model = cheader.parse_header(macros + helper_text, "text-patching.h")
    header = cheader.translation_unit(model, [f"int3_emulate_{h}" for h in helpers])
    return CodeUnderTest(label, "x86_64", "idt", prelude, header, with_gap(harness, gap, label),
                         helpers)


def check_builds(t: Target) -> None:
    """Build the generated header, prelude and harness of `t` with the real toolchain (gcc -Wall
    -Werror, GNU as), linked with a handler that calls every helper; a ToolchainError says what
    failed."""
    build([SourceFile("toolkit_prelude.h", render.render_prelude(t)),
           SourceFile("text-patching.h", render.render_header(t)),
           SourceFile("handler.c", render.render_check_handler(t)),
           SourceFile("harness.s", render.render_harness(t))], t.arch)


def check_kernel_fixup(t: Target) -> None:
    """Build FIXUP_FRAME and IRET_FRAME generated in the kernel's layout for the x86_32 `t` inside
    the harness laid out as the kernel's entry; a ToolchainError says what failed, a UsageError
    that the gap does not fit the layout."""
    build(generated_kernel_fixup(t).sources(), t.arch)
