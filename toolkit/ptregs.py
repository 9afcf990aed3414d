"""The layout of struct pt_regs on x86_64 and x86_32: field names, sizes and byte offsets."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import UsageError

ARCHES = ("x86_64", "x86_32")


@dataclass(frozen=True, slots=True)
class Slot:
    """One field of pt_regs; `size` is the bytes the slot occupies (a u16 selector and its padding
    count as one 4-byte slot on x86_32)."""

    name: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class PtRegs:
    """The whole structure for one architecture, in memory order (lowest offset first)."""

    arch: str
    slots: tuple[Slot, ...]

    @property
    def word(self) -> int:
        return 8 if self.arch == "x86_64" else 4

    @property
    def size(self) -> int:
        last = self.slots[-1]
        return last.offset + last.size

    def offset(self, name: str) -> int:
        return self.slot(name).offset

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"pt_regs on {self.arch} has no field {name!r}")

    def slot_at(self, offset: int) -> Slot | None:
        """The slot that covers byte `offset` of the structure, if any."""
        for slot in self.slots:
            if slot.offset <= offset < slot.offset + slot.size:
                return slot
        return None

    @property
    def hardware_frame(self) -> tuple[str, ...]:
        """The slots the CPU itself pushes on an exception (lowest address first)."""
        return ("ip", "cs", "flags", "sp", "ss")


# Field order is the kernel's: on x86_64 the callee-saved registers come first, then the
# caller-saved ones, then orig_ax and the five words of the hardware frame. Every slot is 8 bytes.
_X86_64_ORDER = ("r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8",
                 "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss")

# On x86_32 (v5.3 and later) the segment registers sit between ax and orig_ax; the frame words at
# the end are only all valid in kernel mode since FIXUP_FRAME started building them. Every slot
# is 4 bytes (a selector is a u16 followed by 16 bits of padding).
_X86_32_ORDER = ("bx", "cx", "dx", "si", "di", "bp", "ax", "ds", "es", "fs", "gs",
                 "orig_ax", "ip", "cs", "flags", "sp", "ss")


def _build(arch: str, order: tuple[str, ...], word: int) -> PtRegs:
    return PtRegs(arch, tuple(Slot(name, i * word, word) for i, name in enumerate(order)))


_LAYOUTS = {
    "x86_64": _build("x86_64", _X86_64_ORDER, 8),
    "x86_32": _build("x86_32", _X86_32_ORDER, 4),
}


def reference(arch: str) -> PtRegs:
    """The project's own description of pt_regs for `arch`, used when no kernel tree is given."""
    try:
        return _LAYOUTS[arch]
    except KeyError:
        raise UsageError(f"unknown architecture {arch!r} (one of {', '.join(ARCHES)})") from None


# Where a kernel tree describes pt_regs, and the #if term that selects each architecture's copy.
PTRACE_H = "arch/x86/include/asm/ptrace.h"
_TREE_CONDITION = {"x86_64": "!__i386__", "x86_32": "__i386__"}


def from_tree(tree: str, arch: str) -> PtRegs:
    """pt_regs for `arch` as the kernel tree at `tree` declares it in its ptrace.h.

    Padding members named `__<field>h` (the high half of a segment slot) and anonymous unions
    over one slot (FRED's cs/csx views) fold into the slot they belong to, as in `reference()`.
    """
    from pathlib import Path

    from toolkit import cheader, layout
    from toolkit.errors import InputError, ParseError

    reference(arch)  # rejects an unknown architecture before any file is read
    path = Path(tree) / PTRACE_H
    model = cheader.read_header(str(path))
    struct = model.struct("pt_regs", [_TREE_CONDITION[arch]])
    if struct is None:
        raise InputError(f"no struct pt_regs for {arch} (under #if {_TREE_CONDITION[arch]})",
                         path=str(path))
    other = next(c for a, c in _TREE_CONDITION.items() if a != arch)
    structs = {s.name: s for s in model.structs if s.name and other not in s.conditions}
    macros = {m.name: m.body for m in model.macros if m.params is None}
    try:
        placed, _ = layout.members(struct, layout.ABIS[arch], structs, macros)
    except ParseError as error:
        # layout works on the model and knows no file: the struct's place is the one to show
        raise ParseError(error.what, path=str(path), line=struct.line, why=error.why) from None
    slots: list[Slot] = []
    for member in placed:
        name = member.name or _first_name(member.field)
        if slots and name.startswith("__") and name.endswith("h"):
            last = slots.pop()
            slots.append(Slot(last.name, last.offset, member.offset + member.size - last.offset))
        else:
            slots.append(Slot(name, member.offset, member.size))
    return PtRegs(arch, tuple(slots))


def _first_name(field) -> str:
    """The name an anonymous union slot goes by: its first member's (`cs` for cs/csx/fred_cs)."""
    return field.members.fields[0].name
