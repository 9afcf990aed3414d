"""The one door to Unicorn: the package, loaded on first use, and fast access to registers, memory,
saved states, hooks and runs.

A warm `toolkit check` whose trials passed before never runs the emulator, so the package is bound
as a module that loads itself when first touched (`toolkit.lazy`); every other module of the
emulator reaches Unicorn through this one.

A machine makes a dozen calls into Unicorn per run, and the binding's methods cost several times
the library calls they make (they convert their arguments, build buffers, and pass each hook
through three layers of Python): the classes here call the library itself, with what can be made
once made once, and hold the emulated memory themselves.
"""

from __future__ import annotations

import ctypes
import functools

from toolkit import lazy
from toolkit.emulate.memorymap import PAGE

#: The unicorn package (its x86_const, Uc, UcError and UC_* constants), loaded on first use.
unicorn = lazy.module("unicorn")


@functools.cache
def _uclib():
    # The library handle of the 2.1 binding, whose functions the classes below call directly.
    return unicorn.unicorn_py3.unicorn.uclib


@functools.cache
def _bare_uclib():
    # The same library through function objects with no argument types: for arguments that are
    # ctypes objects already (the engine handle, arrays, saved states), checking them against
    # the declared types costs more than the call.
    library = _uclib()
    return ctypes.CDLL(library._name, handle=library._handle)


def register_id(name: str) -> int:
    """Unicorn's number for an x86 register named as the memory maps name them ("rsp", "cs")."""
    return getattr(unicorn.x86_const, f"UC_X86_REG_{name.upper()}")


class RegisterFile:
    """Batch access to a fixed list of registers through ctypes arrays built once.

    The binding's reg_read_batch/reg_write_batch rebuild their arrays and look up each register's
    type on every call, which costs more than an emulated int3 round trip; this calls the same
    batch functions of the Unicorn library with the arrays bound to them once, and reads the
    values back through a memoryview (ctypes.memset and slicing a ctypes array cost more than
    the library call)."""

    def __init__(self, uc, names: tuple[str, ...]) -> None:
        count = len(names)
        ids = (ctypes.c_int * count)(*(register_id(name) for name in names))
        self.values = (ctypes.c_uint64 * count)()
        base = ctypes.addressof(self.values)
        pointers = (ctypes.c_void_p * count)(*(base + 8 * i for i in range(count)))
        arguments = (uc._uch, ids, pointers, count)
        self._read = functools.partial(_bare_uclib().uc_reg_read_batch, *arguments)
        self._write = functools.partial(_bare_uclib().uc_reg_write_batch, *arguments)
        self._bytes = memoryview(self.values).cast("B")
        self._words = self._bytes.cast("Q")
        self._zeros = bytes(ctypes.sizeof(self.values))
        self._written = False

    def read(self) -> list[int]:
        if self._written:
            # A 32-bit register or a selector fills only the low bytes of its slot, so what a write
            # left in the high bytes is cleared; a read leaves them as the last read did.
            self._bytes[:] = self._zeros
            self._written = False
        status = self._read()
        if status:
            raise unicorn.UcError(status)
        return self._words.tolist()

    def write(self, values) -> None:
        self.values[:] = values
        self._written = True
        status = self._write()
        if status:
            raise unicorn.UcError(status)


class TlbEntry(ctypes.Structure):
    """What a UC_HOOK_TLB_FILL callback fills in (unicorn.h: uc_tlb_entry)."""

    _fields_ = (("paddr", ctypes.c_uint64), ("perms", ctypes.c_uint32))


# The C types of the hooks a machine installs (unicorn.h: uc_cb_hookintr_t, uc_cb_hookcode_t,
# uc_cb_hookmem_t, uc_cb_eventmem_t, uc_cb_hookinsn_invalid_t, uc_cb_insn_syscall_t,
# uc_cb_tlbevent_t).
_VOID, _BOOL, _POINTER = None, ctypes.c_bool, ctypes.c_void_p
_HOOK_TYPES = {
    "UC_HOOK_TLB_FILL": (_BOOL, ctypes.c_uint64, ctypes.c_int, ctypes.POINTER(TlbEntry)),
    "UC_HOOK_INTR": (_VOID, ctypes.c_uint32),
    "UC_HOOK_CODE": (_VOID, ctypes.c_uint64, ctypes.c_uint32),
    "UC_HOOK_MEM_WRITE": (_VOID, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64),
    "UC_HOOK_MEM_INVALID": (_BOOL, ctypes.c_int, ctypes.c_uint64, ctypes.c_int, ctypes.c_int64),
    "UC_HOOK_INSN_INVALID": (_BOOL,),
    "UC_HOOK_INSN": (_VOID,),                # syscall and sysenter
}


class Owned:
    """A region of emulated memory whose bytes this process holds (mapped by uc_mem_map_ptr), so
    that they are read and written in place, without a library call."""

    def __init__(self, address: int, size: int) -> None:
        # Zeroed, as Unicorn's own memory is, and a page longer, to start the region on a page.
        self._buffer = ctypes.create_string_buffer(size + PAGE)
        skip = -ctypes.addressof(self._buffer) % PAGE
        self.host = ctypes.addressof(self._buffer) + skip
        self.address, self.end = address, address + size
        self.view = memoryview(self._buffer).cast("B")[skip:skip + size]

    def at(self, address: int, size: int) -> memoryview:
        """The `size` bytes at `address`, in place."""
        start = address - self.address
        return self.view[start:start + size]


# How many (start address, count) pairs a Native keeps made.
KEPT_STARTS = 64


class Native:
    """The library calls every run makes on one emulator, bound to it once, and its memory.

    Each run restores a CPU state, writes its stacks' tops and its probe's memory, starts the
    emulation, pushes a frame, and reads its landing byte and its stack window, and a watched run
    reads code at each instruction: the binding's context_restore, mem_write, mem_read (which
    copies the bytes twice and builds a bytearray) and emu_start cost more than the library
    calls they make, and a library call costs more than copying the bytes. So the memory is
    mapped from buffers of this process (`map`) and read and written in place, and the rest calls
    the library directly, with what is done before every run made ready once.

    Like the library's uc_mem_write, a write in place leaves code Unicorn translated before as it
    was: whoever writes code drops its translations (Machine.place)."""

    def __init__(self, uc) -> None:
        library, bare, handle = _uclib(), _bare_uclib(), uc._uch
        self.uc = uc
        self._restore = functools.partial(bare.uc_context_restore, handle)
        self._read = functools.partial(library.uc_mem_read, handle)
        self._write = functools.partial(library.uc_mem_write, handle)
        self._map = functools.partial(library.uc_mem_map_ptr, handle)
        self._start = functools.partial(bare.uc_emu_start, handle)
        self._starts: dict[tuple[int, int], tuple] = {}
        self._owned: list[Owned] = []           # the memory: alive as long as this (see hook)
        self._last: Owned | None = None         # where the last access in place was
        self.failure: BaseException | None = None

    def restore(self, context) -> None:
        """Make the CPU state the one saved in `context` (a unicorn.UcContext)."""
        status = self._restore(context.context)
        if status:
            raise unicorn.UcError(status)

    def restorer(self, context):
        """The library call that restores `context`, made ready for a state restored before many
        runs: it returns the library's status (0 when done). The caller keeps `context` alive."""
        return functools.partial(self._restore, context.context)

    # --- memory ----------------------------------------------------------------------------------

    def map(self, address: int, size: int) -> None:
        """Map `size` bytes at `address` with every access allowed, as uc.mem_map does, in a
        buffer of this process."""
        region = Owned(address, size)
        status = self._map(address, size, unicorn.UC_PROT_ALL, region.host)
        if status:
            raise unicorn.UcError(status)
        self._owned.append(region)

    def _holding(self, address: int, size: int) -> Owned | None:
        # Accesses come in runs to one region (a stack, the landing pads): that one is tried first.
        region = self._last
        if region is not None and region.address <= address and address + size <= region.end:
            return region
        for region in self._owned:
            if region.address <= address and address + size <= region.end:
                self._last = region
                return region
        return None

    def write(self, address: int, data: bytes) -> None:
        """Write `data` at `address`."""
        region = self._holding(address, len(data))
        if region is not None:
            region.at(address, len(data))[:] = data
            return
        status = self._write(address, data, len(data))      # unmapped, or across regions
        if status:
            raise unicorn.UcError(status)

    def read(self, address: int, size: int) -> bytes:
        """`size` bytes of emulated memory at `address`."""
        region = self._holding(address, size)
        if region is not None:
            return region.at(address, size).tobytes()
        buffer = ctypes.create_string_buffer(size)
        status = self._read(address, buffer, size)
        if status:
            raise unicorn.UcError(status)
        return buffer.raw

    def byte(self, address: int) -> int:
        """The byte at `address` (where a run stopped)."""
        region = self._holding(address, 1)
        if region is not None:
            return region.view[address - region.address]
        return self.read(address, 1)[0]

    def ready(self, address: int, data: bytes) -> tuple:
        """A write of `data` at `address` made ready for `write_ready`: where it goes in place, or
        None for a write the library makes."""
        region = self._holding(address, len(data))
        return (region.at(address, len(data)) if region is not None else None), data, address

    def write_ready(self, writes) -> None:
        """Make the writes of `ready`, in order."""
        for target, data, address in writes:
            if target is not None:
                target[:] = data
            else:
                self.write(address, data)

    def reader(self, address: int, size: int):
        """A function that reads the `size` bytes at `address` (a run's window) each time."""
        if size <= 0:
            return bytes
        region = self._holding(address, size)
        if region is None:
            return functools.partial(self.read, address, size)
        return region.at(address, size).tobytes

    def start(self, begin: int, count: int) -> None:
        """Emulate from `begin` for at most `count` instructions, as the binding's emu_start does:
        a UcError if Unicorn ends with an error, else whatever a hook raised."""
        self.failure = None
        arguments = self._starts.get((begin, count))
        if arguments is None:
            # Runs start at one of a few sites and count to one limit: their arguments are kept.
            if len(self._starts) >= KEPT_STARTS:
                self._starts.clear()
            zero = ctypes.c_uint64(0)
            arguments = self._starts[begin, count] = (ctypes.c_uint64(begin), zero, zero,
                                                      ctypes.c_size_t(count))
        status = self._start(*arguments)
        if status:
            raise unicorn.UcError(status)
        if self.failure is not None:
            raise self.failure

    def hook(self, kind: str, callback, instruction: int | None = None) -> None:
        """Call `callback` on every event of `kind` ("UC_HOOK_INTR" and the others of _HOOK_TYPES)
        with Unicorn's arguments after the engine handle, its user data (None) last, for the
        whole address space; `instruction` picks the instruction of a UC_HOOK_INSN.

        As in the binding, an exception in the callback stops the emulation and `start` raises
        it; unlike it, the callback is called straight from the C callback, not through three
        more functions (a watched run calls its hooks at every instruction)."""
        result, *arguments = _HOOK_TYPES[kind]

        def guarded(_engine, *values):
            try:
                return callback(*values)
            except BaseException as error:
                if self.failure is None:
                    self.failure = error
                self.uc.emu_stop()

        function = ctypes.CFUNCTYPE(result, _POINTER, *arguments, _POINTER)(guarded)
        handle = ctypes.c_size_t()
        extra = () if instruction is None else (ctypes.c_int(instruction),)
        status = _uclib().uc_hook_add(self.uc._uch, ctypes.byref(handle), getattr(unicorn, kind),
                                      ctypes.cast(function, ctypes.c_void_p), None,
                                      ctypes.c_uint64(1), ctypes.c_uint64(0), *extra)
        if status:
            raise unicorn.UcError(status)
        # Kept where the binding keeps its own, alive as long as the emulator; a callback keeps
        # its machine, and so this and the memory, alive as long too.
        self.uc._callbacks[handle.value] = function
