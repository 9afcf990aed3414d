"""struct pt_regs as a kernel tree declares it, laid out by the C ABI of each architecture."""

from __future__ import annotations

from pathlib import Path

from toolkit.cmodel import abi
from toolkit.cmodel import header as cheader
from toolkit.errors import InputError, ParseError
from toolkit.x86 import PTRACE_H, PtRegs, Slot, reference

# The #if term that selects each architecture's copy of pt_regs in ptrace.h.
_TREE_CONDITION = {"x86_64": "!__i386__", "x86_32": "__i386__"}


def from_tree(tree: str, arch: str) -> PtRegs:
    """pt_regs for `arch` as the kernel tree at `tree` declares it in its ptrace.h.

    Padding members named `__<field>h` (the high half of a segment slot) and anonymous unions
    over one slot (FRED's cs/csx views) fold into the slot they belong to, as in `reference()`.
    """
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
        placed, _ = abi.members(struct, abi.ABIS[arch], structs, macros)
    except ParseError as error:
        # the ABI layout works on the model and knows no file: the struct's place is the one to show
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
