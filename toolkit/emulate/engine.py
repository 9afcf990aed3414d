"""The one door to Unicorn: the package, loaded on first use, and fast batch access to registers and memory.

A warm `toolkit check` whose trials passed before never runs the emulator, so the package is bound
as a module that loads itself when first touched (`toolkit.lazy`); every other module of the
emulator reaches Unicorn through this one.
"""

from __future__ import annotations

import ctypes
import functools

from toolkit import lazy

#: The unicorn package (its x86_const, Uc, UcError and UC_* constants), loaded on first use.
unicorn = lazy.module("unicorn")


@functools.cache
def _uclib():
    # The library handle of the 2.1 binding, whose batch functions the classes below call directly.
    return unicorn.unicorn_py3.unicorn.uclib


def register_id(name: str) -> int:
    """Unicorn's number for an x86 register named as the memory maps name them ("rsp", "cs")."""
    return getattr(unicorn.x86_const, f"UC_X86_REG_{name.upper()}")


class RegisterFile:
    """Batch access to a fixed list of registers through ctypes arrays built once.

    The binding's reg_read_batch/reg_write_batch rebuild their arrays and look up each register's
    type on every call, which costs more than an emulated int3 round trip; this calls the same
    batch functions of the Unicorn library with the arrays bound to them once."""

    def __init__(self, uc, names: tuple[str, ...]) -> None:
        count = len(names)
        ids = (ctypes.c_int * count)(*(register_id(name) for name in names))
        self.values = (ctypes.c_uint64 * count)()
        base = ctypes.addressof(self.values)
        pointers = (ctypes.c_void_p * count)(*(base + 8 * i for i in range(count)))
        arguments = (uc._uch, ids, pointers, count)
        self._read = functools.partial(_uclib().uc_reg_read_batch, *arguments)
        self._write = functools.partial(_uclib().uc_reg_write_batch, *arguments)
        self._size = ctypes.sizeof(self.values)

    def read(self) -> list[int]:
        # Zeroed first: a 32-bit register or a selector fills only the low bytes of its slot.
        ctypes.memset(self.values, 0, self._size)
        status = self._read()
        if status != unicorn.UC_ERR_OK:
            raise unicorn.UcError(status)
        return self.values[:]

    def write(self, values) -> None:
        self.values[:] = values
        status = self._write()
        if status != unicorn.UC_ERR_OK:
            raise unicorn.UcError(status)


def write_memory(uc, address: int, data: bytes) -> None:
    """Write `data` at `address`: every run rewrites its stacks' tops and its probe's memory, and
    the binding's mem_write costs more than the library call it makes."""
    status = _uclib().uc_mem_write(uc._uch, address, data, len(data))
    if status != unicorn.UC_ERR_OK:
        raise unicorn.UcError(status)


def read_memory(uc, address: int, size: int) -> bytes:
    """`size` bytes of emulated memory at `address`.

    The binding's mem_read copies the bytes twice and builds a bytearray; every run reads its
    landing byte and its stack window, and a watched run each instruction, so this calls the
    library's uc_mem_read itself."""
    buffer = ctypes.create_string_buffer(size)
    status = _uclib().uc_mem_read(uc._uch, address, buffer, size)
    if status != unicorn.UC_ERR_OK:
        raise unicorn.UcError(status)
    return buffer.raw
