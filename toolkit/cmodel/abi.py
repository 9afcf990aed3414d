"""Byte offsets and sizes of C struct members under the x86_64 (LP64) and x86_32 (ILP32) ABIs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from toolkit.cmodel.constexpr import evaluate
from toolkit.cmodel.header import Aggregate, Field
from toolkit.errors import ParseError


@dataclass(frozen=True, slots=True)
class Abi:
    """Sizes that differ between the data models; `max_align` caps scalar alignment (the i386
    System V ABI aligns 8-byte scalars to 4 inside structs)."""

    arch: str
    long: int
    max_align: int


ABIS = {"x86_64": Abi("x86_64", 8, 8), "x86_32": Abi("x86_32", 4, 4)}


@dataclass(frozen=True, slots=True)
class Member:
    name: str | None
    offset: int
    size: int
    field: Field


# Fixed-size scalar type names; `long`, `size_t` and pointers take their size from the ABI.
_FIXED = {"char": 1, "_Bool": 1, "bool": 1, "short": 2, "int": 4, "float": 4, "double": 8,
          "u8": 1, "s8": 1, "__u8": 1, "__s8": 1, "u16": 2, "s16": 2, "__u16": 2, "__s16": 2,
          "u32": 4, "s32": 4, "__u32": 4, "__s32": 4, "u64": 8, "s64": 8, "__u64": 8,
          "__s64": 8, "long long": 8}
_LONG = frozenset(("long", "size_t", "ssize_t", "uintptr_t", "ptrdiff_t"))
_QUALIFIERS = frozenset(("const", "volatile", "signed", "unsigned", "struct", "union", "enum"))
_ARRAY = re.compile(r"\[([^\]]*)\]")


def members(aggregate: Aggregate, abi: Abi, structs: Mapping[str, Aggregate],
            macros: Mapping[str, str]) -> tuple[tuple[Member, ...], int]:
    """The members of `aggregate` with their offsets, and its total size, under `abi`.

    `structs` resolves `struct name` members; `macros` (name → body) resolves array sizes.
    """
    return _Layout(abi, structs, macros).aggregate(aggregate)[:2]


class _Layout:
    def __init__(self, abi: Abi, structs: Mapping[str, Aggregate],
                 macros: Mapping[str, str]) -> None:
        self.abi = abi
        self.structs = structs
        self.macros = macros

    def aggregate(self, aggregate: Aggregate) -> tuple[tuple[Member, ...], int, int]:
        """(members, size, alignment)"""
        placed = []
        bit = 0  # the next free bit; bit-fields are placed bit by bit, everything else by bytes
        size = align = 1
        for field in aggregate.fields:
            field_size, field_align = self.size_align(field)
            align = max(align, field_align)
            if aggregate.kind == "union":
                placed.append(Member(field.name, 0, field_size, field))
                size = max(size, field_size)
                continue
            if field.bits is not None:
                unit = field_size * 8
                # GCC starts a new unit when the field would straddle one of its type's units
                if field.bits == 0 or bit // unit != (bit + field.bits - 1) // unit:
                    bit = _round_up(bit, unit)
                placed.append(Member(field.name, bit // 8, field_size, field))
                bit += field.bits
                continue
            offset = _round_up(_round_up(bit, 8) // 8, field_align)
            placed.append(Member(field.name, offset, field_size, field))
            bit = (offset + field_size) * 8
        if aggregate.kind == "struct":
            size = _round_up(bit, 8) // 8
        return tuple(placed), _round_up(size, align), align

    def size_align(self, field: Field) -> tuple[int, int]:
        text = field.type
        count = 1
        for dim in _ARRAY.findall(text):
            value = evaluate(dim, self.macros)
            if value is None:
                raise ParseError(f"array size {dim!r} of member {field.name!r} is not a constant")
            count *= value
        base = _ARRAY.sub("", text).strip()
        if base.endswith("*"):
            return count * self.abi.long, self.abi.long
        if field.members is not None:
            _, size, align = self.aggregate(field.members)
            return count * size, align
        words = [w for w in base.split() if w not in _QUALIFIERS]
        if base.startswith("enum "):
            return count * 4, 4
        if base.startswith(("struct ", "union ")):
            inner = self.structs.get(words[-1])
            if inner is None:
                raise ParseError(f"member {field.name!r} has type {base!r}, which is not defined "
                                 "in the header")
            _, size, align = self.aggregate(inner)
            return count * size, align
        size = self._scalar(" ".join(words) or "int", field)
        return count * size, min(size, self.abi.max_align)

    def _scalar(self, name: str, field: Field) -> int:
        if name in _FIXED:
            return _FIXED[name]
        if name in _LONG or name in ("long int", "long unsigned int"):
            return self.abi.long
        raise ParseError(f"member {field.name!r} has type {name!r}, whose size is not known")


def _round_up(value: int, to: int) -> int:
    return -(-value // to) * to
