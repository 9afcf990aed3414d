"""The emulated x86 machine that runs code under test in Unicorn, one bounded run at a time.

A `Machine` holds one emulator for the life of a validation. Its CPU state after setup is saved once
and restored before every run (with the run's registers, saved again per register set), and only
the memory a run can change (stacks, the image's data) is rewritten, which is what makes thousands
of runs per second possible. A run is always bounded by an instruction count (and so in time);
whatever happens inside it (a halt on a landing pad, a fault, a runaway loop, an access to unmapped
memory) comes back as a `Run`, never as a hang or a crash.
"""

from __future__ import annotations

import functools
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Mapping

from toolkit.emulate.build import Image
from toolkit.emulate.delivery import (
    FLAGS_RESERVED,
    Cpu,
    Frame,
    deliver_fred,
    deliver_idt32,
    deliver_idt64,
    push_frame,
    return_fred,
)
from toolkit.emulate.disasm import disassemble
from toolkit.emulate.engine import Native, RegisterFile, register_id, unicorn
from toolkit.emulate.memorymap import LAYOUTS, PAGE, STACK_SIZE
from toolkit.errors import EmulationError
from toolkit.x86 import ERETS, HLT

# Names of the vectors a run can fault with, for messages.
VECTORS = {0: "#DE", 1: "#DB", 3: "#BP", 6: "#UD", 8: "#DF", 10: "#TS", 11: "#NP", 12: "#SS",
           13: "#GP", 14: "#PF", 17: "#AC"}
RESET_SIZE = PAGE // 2     # the top of each stack, where every normal run stays
# How many CPU states (5.6 KiB each) and clean memory images (a few KiB each) a machine keeps for
# the probes it has run; past that they are all dropped and made again as needed.
MAX_SAVED_STATES = 256
# How many probes a machine remembers by identity, each with its state, clean memory and window.
MAX_KNOWN_PROBES = 4 * MAX_SAVED_STATES


@dataclass(frozen=True, slots=True)
class Probe:
    """The input of one run: where to start, at which ring, with which registers, and what to write
    into memory first (stack words, scenario parameters). `window` is the memory range whose
    contents the run reports afterwards."""

    start: int
    registers: tuple[tuple[str, int], ...]
    memory: tuple[tuple[int, bytes], ...] = ()
    window: tuple[int, int] = (0, 0)
    ring: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    address: int
    text: str          # the disassembly, e.g. "pushq 0x28(%rsp)"


@dataclass(frozen=True, slots=True)
class Write:
    """A memory write seen by the write hook: by the instruction at `pc`, while the handler ran or not."""

    pc: int
    address: int
    size: int
    value: int
    in_handler: bool


@dataclass(frozen=True, slots=True)
class Run:
    """The outcome of one bounded run.

    `stop` is "halt" (reached a landing pad at `stopped_at`), "fault" (the CPU raised the vector in
    `detail`, or Unicorn could not go on), "limit" (the instruction count ran out), "unmapped" (an
    access to memory that is not there; `detail` says which) or "stopped" (the code did what the
    machine does not follow it into: a syscall, a hlt off the landing pads, a jump to 0).
    """

    stop: str
    stopped_at: int
    detail: str
    registers: Mapping[str, int] = field(hash=False)
    window: tuple[int, bytes]
    frame: Frame | None
    pt_regs: int | None
    arch: str
    steps: tuple[tuple[int, bytes], ...] = ()     # a watched run's instructions: address, bytes
    writes: tuple[Write, ...] = ()

    @property
    def trace(self) -> tuple[Step, ...]:
        """The steps disassembled, only when evidence asks: capstone takes longer than the run."""
        return tuple(Step(address, text) for address, text in disassemble(self.arch, self.steps))

    def memory(self, address: int, size: int) -> bytes:
        start, data = self.window
        return data[address - start:address - start + size]


class Machine:
    """One emulator with an image loaded, ready to run probes again and again.

    `delivery` chooses how a breakpoint reaches the entry code: "idt" (the 64-bit or 32-bit IDT
    model, by the image's architecture) or "fred" (x86_64 only). The entry point is the image's
    `entry` symbol; a watched run also notes which pt_regs the `handler` symbol received.
    """

    def __init__(self, image: Image, *, delivery: str = "idt", entry: str = "toolkit_int3_entry",
                 handler: str = "toolkit_int3_handler", limit: int = 20_000,
                 watching: bool = False) -> None:
        if delivery not in ("idt", "fred") or (delivery == "fred" and image.arch != "x86_64"):
            raise EmulationError(f"no {delivery} event delivery model for {image.arch}")
        self.layout = layout = LAYOUTS[image.arch]
        self.arch, self._pc, self._names = layout.arch, layout.pc, layout.registers
        self.image = image
        self.delivery = delivery
        self._symbols = (entry, handler)
        self.entry = image.symbol(entry)
        self.handler = image.symbol(handler)
        self.limit = limit
        self.uc = uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64 if layout.word == 8
                                  else unicorn.UC_MODE_32)
        # Without virtual TLB mode Unicorn cannot fetch from addresses above the 48-bit physical range.
        uc.ctl_set_tlb_mode(unicorn.UC_TLB_VIRTUAL)
        self._native = Native(uc)
        self._map_memory(image)
        self._placed: dict[int, bytes] = {}
        self._load_gdt()
        self._fill = b"\x5a" * STACK_SIZE
        self._top_fill = self._fill[:RESET_SIZE]
        self._landing_pages = (layout.sites // PAGE, layout.user_sites // PAGE)
        self._dirty = True
        self._ring = 0                     # of the last run
        self._stacks = {0: (layout.stack,), 3: (layout.task_stack, layout.user_stack)}
        self._data = tuple(s for s in image.segments if s.writable)
        self._clean: dict[tuple, tuple[tuple[int, bytes], ...]] = {}
        self._states: dict[tuple, tuple] = {}
        self._windows: dict[tuple[int, int], Callable[[], bytes]] = {}
        self._known: dict[int, tuple] = {}        # by id(probe): what _prepare made for it
        self._all = RegisterFile(uc, layout.registers)
        self._files: dict[tuple[str, ...], RegisterFile] = {}
        self._fault: tuple[int, int] | None = None
        self._frame: Frame | None = None
        self._pt_regs: int | None = None
        self._landed: int | None = None
        self._unmapped: str | None = None
        self._install_hooks()
        self._base = uc.context_save()
        self._user_base = self._enter_user_mode()
        self._cpu = Cpu(uc, self._native, layout, self.entry, self._base)
        self._deliver = (deliver_fred if delivery == "fred" else
                         deliver_idt64 if layout.word == 8 else deliver_idt32)
        # Hooks are compiled into translated code, so a machine either always watches or never
        # does: switching them on for one run would throw every translation away, twice. Watched
        # runs go to a twin that watches, made when the first one is asked for.
        self._watcher = _Watcher(self) if watching else None
        self._twin: Machine | None = None

    def _map_memory(self, image: Image) -> None:
        """The image, the site pages, the GDT and the stacks; landing pads everywhere but the byte
        before each site: a nop there means that a run which stops right after a hlt byte has
        landed, and not looped on the site itself."""
        native, layout = self._native, self.layout
        self._map_image(image)
        for base, size in ((layout.sites, PAGE), (layout.gdt, PAGE), (layout.stack, STACK_SIZE),
                           (layout.task_stack, STACK_SIZE), (layout.user_sites, PAGE),
                           (layout.user_stack, STACK_SIZE)):
            native.map(base, size)
        for page, site in ((layout.sites, layout.site), (layout.user_sites, layout.user_site)):
            native.write(page, HLT * PAGE)
            native.write(site - 1, b"\x90")                                         # nop

    def _install_hooks(self) -> None:
        # Only the event delivery calls into Python on an ordinary run: each callback costs about
        # as much as the whole int3 round trip in native code, so landings are found without one.
        hook = self._native.hook
        # In virtual TLB mode Unicorn maps a page, unless told otherwise, for the one kind of
        # access that missed it: a page read and written in turn (the stack, by the entry code)
        # is mapped again at every switch. Mapped once for every kind of access, each page stays
        # in the TLB; every mapped region allows every access, and an unmapped one is still
        # found unmapped behind the mapping.
        hook("UC_HOOK_TLB_FILL", self._on_tlb_fill)
        hook("UC_HOOK_INTR", self._on_interrupt)
        hook("UC_HOOK_INSN_INVALID", self._on_invalid)
        # Called only on an access to unmapped memory, so free otherwise: it names the address.
        hook("UC_HOOK_MEM_INVALID", self._on_unmapped)
        # Unicorn runs syscall and sysenter as no-ops unless hooked; on a CPU they leave the
        # kernel's own stack and code behind, so code under test that executes one has failed.
        for name in ("syscall", "sysenter"):
            hook("UC_HOOK_INSN", functools.partial(self._on_system_call, name),
                 getattr(unicorn.x86_const, f"UC_X86_INS_{name.upper()}"))

    # --- setup -----------------------------------------------------------------------------------

    def _map_image(self, image: Image) -> None:
        low = min(s.address for s in image.segments) & ~(PAGE - 1)
        high = max(s.address + len(s.data) for s in image.segments)
        try:
            self._native.map(low, (high - low + PAGE - 1) & ~(PAGE - 1))
            for segment in image.segments:
                self._native.write(segment.address, segment.data)
        except unicorn.UcError as error:
            # The builder keeps an image within its limits (toolkit.emulate.limits); one that
            # still does not fit the map is refused here, not with a traceback.
            raise EmulationError(f"cannot map the image at {low:#x}-{high:#x}", path=image.path,
                                 why=str(error)) from None

    def _load_gdt(self) -> None:
        layout = self.layout
        long_mode = layout.word == 8
        # access byte: present, DPL, code (execute/read) or data (read/write); flags: 4 KiB
        # granularity plus L (64-bit code) on x86_64 or D (32-bit) on x86_32.
        code_flags = 0xA if long_mode else 0xC
        entries = {layout.kernel_cs: (0x9B, code_flags), layout.kernel_ss: (0x93, 0xC),
                   layout.user_cs: (0xFB, code_flags), layout.user_ss: (0xF3, 0xC)}
        table = bytearray(8 * (max(entries) // 8 + 1))
        for selector, (access, flags) in entries.items():
            table[selector & ~7:(selector & ~7) + 8] = struct.pack(
                "<HHBBBB", 0xFFFF, 0, 0, access, 0xF | flags << 4, 0)
        self.uc.mem_write(layout.gdt, bytes(table))
        self.uc.reg_write(unicorn.x86_const.UC_X86_REG_GDTR, (0, layout.gdt, len(table) - 1, 0))
        self.uc.reg_write(unicorn.x86_const.UC_X86_REG_CS, layout.kernel_cs)
        self.uc.reg_write(unicorn.x86_const.UC_X86_REG_SS, layout.kernel_ss)
        for segment in ("DS", "ES"):
            self.uc.reg_write(register_id(segment), layout.kernel_ss)

    def _enter_user_mode(self):
        """The CPU state of ring 3, reached the only way the CPU allows: an iret from ring 0 (a
        selector write cannot lower the privilege level in 32-bit mode)."""
        uc, layout = self.uc, self.layout
        iret = b"\x48\xcf" if layout.word == 8 else b"\xcf"   # iretq / iret
        trampoline = layout.gdt + PAGE // 2        # the unused half of the GDT's page
        uc.mem_write(trampoline, iret)
        frame = push_frame(self._native, layout, layout.task_top,
                           (layout.user_ss, layout.user_stack_top, FLAGS_RESERVED, layout.user_cs,
                            layout.user_sites))
        uc.reg_write(register_id(layout.sp), frame)
        self._native.start(trampoline, 2)
        if uc.reg_read(unicorn.x86_const.UC_X86_REG_CS) != layout.user_cs:
            raise EmulationError("the emulator did not enter ring 3 through iret")
        state = uc.context_save()
        uc.context_restore(self._base)
        return state

    def place(self, address: int, code: bytes) -> None:
        """Put `code` at `address` (a site); translations of the old bytes are dropped only when the
        bytes change, because dropping them is the most expensive thing a run could do."""
        if self._placed.get(address) == code:
            return
        old = self._placed.get(address, b"")
        length = max(len(old), len(code))
        self._native.write(address, code.ljust(length, HLT))
        self.uc.ctl_remove_cache(address, address + length)
        self._placed[address] = code
        if self._twin is not None:
            self._twin.place(address, code)

    def _watching_twin(self) -> "Machine":
        if self._twin is None:
            entry, handler = self._symbols
            self._twin = Machine(self.image, delivery=self.delivery, entry=entry, handler=handler,
                                 limit=self.limit, watching=True)
            for address, code in self._placed.items():
                self._twin.place(address, code)
        return self._twin

    # --- runs ------------------------------------------------------------------------------------

    def run(self, probe: Probe, *, watch: bool = False) -> Run:
        """Run one probe from a clean state; `watch` adds every instruction and every write."""
        if watch and self._watcher is None:
            return self._watching_twin().run(probe)
        known = self._known.get(id(probe))
        if known is None or known[0] is not probe:
            known = self._prepare(probe)
        _, _, restore, clean, read_window = known
        native = self._native
        status = restore()
        if status:
            raise unicorn.UcError(status)
        if self._dirty or self._ring != probe.ring:
            self._reset_stacks(probe.ring)
        native.write_ready(clean)
        self._fault = self._frame = self._pt_regs = self._landed = self._unmapped = None
        watcher = self._watcher
        if watcher:
            watcher.reset()
        try:
            # Bounded by the instruction count alone: Unicorn's timeout starts a timer thread on
            # every emu_start, which costs more than the run; 20,000 instructions take a few ms.
            native.start(probe.start, self.limit)
            stop, detail = "halt", ""
        except unicorn.UcError as error:
            stop, detail = self._stopped_by(error)
        registers = dict(zip(self._names, self._all.read()))
        stop, detail, pc = self._classify_stop(stop, detail, registers)
        window = (probe.window[0], read_window())
        if watcher is None:
            self._dirty = stop != "halt"
            return Run(stop, pc, detail, registers, window, self._frame, self._pt_regs, self.arch)
        self._dirty = True
        return Run(stop, pc, detail, registers, window, self._frame, self._pt_regs, self.arch,
                   tuple(watcher.steps), tuple(watcher.writes))

    def _prepare(self, probe: Probe) -> tuple:
        """The probe with its start state (and the call that restores it), its clean memory (ready
        writes) and the reader of its window, remembered by the probe object itself: a reference
        and its round trip run the same object, and hashing its registers and memory costs more
        than restoring the state. The probe and the state are kept with them, so that the id
        stays the probe's and the state stays there while they are remembered."""
        if len(self._known) >= MAX_KNOWN_PROBES:
            # The oldest goes first: the probes of one batch are all run twice, one after the
            # other, before the next batch.
            del self._known[next(iter(self._known))]
        state, restore = self._start_state(probe)
        known = (probe, state, restore, self._clean_memory(probe), self._window_reader(probe.window))
        self._known[id(probe)] = known
        return known

    def _window_reader(self, window: tuple[int, int]) -> Callable[[], bytes]:
        reader = self._windows.get(window)
        if reader is None:
            if len(self._windows) >= MAX_SAVED_STATES:
                self._windows.clear()
            low, high = window
            reader = self._windows[window] = self._native.reader(low, high - low)
        return reader

    def _reset_stacks(self, ring: int) -> None:
        """Undo what the last run may have written where the clean memory of a run at `ring` does
        not reach: after a run that did not end normally, every stack whole; after a normal end
        at the other ring, the top of its stacks (ring 0 uses only the kernel stack)."""
        write, layout = self._native.write, self.layout
        if self._dirty:
            for base in (layout.stack, layout.task_stack, layout.user_stack):
                write(base, self._fill)
        else:
            for base in self._stacks[self._ring]:
                write(base + STACK_SIZE - RESET_SIZE, self._top_fill)
        self._ring = ring

    def _stopped_by(self, error) -> tuple[str, str]:
        """How a run that Unicorn ended with `error` stopped (a fault noted by a hook stays a halt
        here: `_classify_stop` names it)."""
        if error.errno == unicorn.UC_ERR_INSN_INVALID:
            self._fault = (6, self.uc.reg_read(register_id(self.layout.pc)))
        elif self._unmapped:
            return "unmapped", self._unmapped
        elif self._fault is None:
            # Anything else Unicorn refuses (an exception it cannot deliver, say) is a fault of
            # the code that ran, described as Unicorn describes it.
            return "fault", str(error)
        return "halt", ""

    def _classify_stop(self, stop: str, detail: str, registers: dict[str, int]
                       ) -> tuple[str, str, int]:
        """The stop, its detail and the program counter to report: a fault the hooks saw, a
        landing pad reached, or the instruction limit."""
        pc_name = self._pc
        pc = registers[pc_name]
        if stop != "halt":
            return stop, detail, pc
        if self._fault is None and self._landed is None and self._on_landing_pad(pc - 1):
            # hlt stops Unicorn with the program counter after it; report the landing pad. (The
            # common end of a run, tested first.)
            registers[pc_name] = pc - 1
            return stop, detail, pc - 1
        if self._fault is not None:
            vector, at = self._fault
            if isinstance(vector, str):     # an instruction the machine stops at (syscall)
                return "stopped", f"{vector} executed", at
            return "fault", VECTORS.get(vector, f"vector {vector}"), at
        if self._landed is not None:
            registers[pc_name] = self._landed
            return stop, detail, self._landed
        if pc == 0:
            # emu_start stops before address 0, where it was told to end (`until`).
            return "stopped", "a jump to address 0", pc
        if self._reads(pc - 1, 1) == HLT:
            return "stopped", "hlt executed outside a landing pad", pc - 1
        return "limit", f"no landing pad reached within {self.limit} instructions", pc

    def _reads(self, address: int, size: int) -> bytes | None:
        try:
            return self._native.read(address, size)
        except unicorn.UcError:
            return None

    def _start_state(self, probe: Probe) -> tuple:
        """The CPU state of setup for the probe's ring with the probe's registers written, and
        the call that restores it (Native.restorer).

        Many probes share their registers (a reference and its round trip, every condition code
        at the same flags), and restoring a saved state is one call where writing the registers
        over the setup state is two and more Python; the states are kept per ring and registers,
        up to MAX_SAVED_STATES of them."""
        key = (probe.ring, probe.registers)
        saved = self._states.get(key)
        if saved is not None:
            return saved
        self._native.restore(self._user_base if probe.ring == 3 else self._base)
        names, values = zip(*probe.registers) if probe.registers else ((), ())
        if names not in self._files:
            self._files[names] = RegisterFile(self.uc, names)
        self._files[names].write(values)
        if len(self._states) >= MAX_SAVED_STATES:
            self._states.clear()
        state = self.uc.context_save()
        self._states[key] = saved = (state, self._native.restorer(state))
        return saved

    def _clean_memory(self, probe: Probe) -> tuple:
        """What to write before a run of `probe`, as writes made ready (Native.ready): the top of
        each stack of its ring and the image's data as they were at setup, with the probe's
        memory laid over them where it falls inside, so that each takes one write; probe memory
        outside them, or after a piece that was not, is written as given, in order."""
        key = (probe.ring, probe.memory)
        if key not in self._clean:
            if len(self._clean) >= MAX_SAVED_STATES:
                self._clean.clear()
            regions = [(base + STACK_SIZE - RESET_SIZE, bytearray(self._top_fill))
                       for base in self._stacks[probe.ring]]
            regions += [(segment.address, bytearray(segment.data)) for segment in self._data]
            rest = list(probe.memory)
            while rest:
                address, data = rest[0]
                inside = [(start, region) for start, region in regions
                          if start <= address and address + len(data) <= start + len(region)]
                if not inside:
                    break
                start, region = inside[0]
                region[address - start:address - start + len(data)] = data
                rest.pop(0)
            self._clean[key] = tuple(self._native.ready(start, bytes(region))
                                     for start, region in regions + rest)
        return self._clean[key]

    # --- hooks -----------------------------------------------------------------------------------

    @staticmethod
    def _on_tlb_fill(address: int, _access: int, entry, _data) -> bool:
        entry[0].paddr = address
        entry[0].perms = unicorn.UC_PROT_ALL
        return True

    def _on_invalid(self, _data) -> bool:
        """Unicorn reports an unknown opcode here instead of raising #UD; only FRED's erets is known
        to the machine, everything else stays invalid and ends the run as a #UD fault."""
        if self.delivery == "fred":
            uc = self.uc
            pc = uc.reg_read(register_id(self.layout.pc))
            if bytes(uc.mem_read(pc, len(ERETS))) == ERETS:
                return_fred(uc, self.layout)
                return True
        return False

    def _on_system_call(self, name: str, _data) -> None:
        self._fault = (name, self.uc.reg_read(register_id(self.layout.pc)))
        self.uc.emu_stop()

    def _on_unmapped(self, access: int, address: int, size: int, _value, _data) -> bool:
        kind = {unicorn.UC_MEM_READ_UNMAPPED: "read", unicorn.UC_MEM_WRITE_UNMAPPED: "write",
                unicorn.UC_MEM_FETCH_UNMAPPED: "fetch"}.get(access, "access")
        self._unmapped = f"{kind} of {size} bytes at {address:#x}"
        return False

    def _on_landing_pad(self, address: int) -> bool:
        return address // PAGE in self._landing_pages and self._native.byte(address) == HLT[0]

    def _on_interrupt(self, vector: int, _data) -> None:
        if vector == 3:
            self._frame = self._deliver(self._cpu)
            return
        uc = self.uc
        pc = uc.reg_read(register_id(self.layout.pc))
        if vector in (8, 13) and self._on_landing_pad(pc):
            # hlt in ring 3 is a #GP (a #DF here, as there is no IDT to deliver it through): on a
            # landing pad it is a landing.
            self._landed = pc
        else:
            self._fault = (vector, pc)
        uc.emu_stop()

    def record_pt_regs(self) -> None:
        """At the handler's first instruction: remember the pt_regs pointer it was passed."""
        uc = self.uc
        if self.layout.word == 8:
            self._pt_regs = uc.reg_read(unicorn.x86_const.UC_X86_REG_RDI)
        else:
            # The harness calls the handler with plain cdecl: the argument is above the return address.
            sp = uc.reg_read(unicorn.x86_const.UC_X86_REG_ESP)
            self._pt_regs = int.from_bytes(uc.mem_read(sp + 4, 4), "little")


class _Watcher:
    """The hooks of a watched run: every instruction (for the trace and to know when the handler
    runs) and every write to memory."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.steps: deque[tuple[int, bytes]] = deque(maxlen=400)
        self.writes: list[Write] = []
        self.return_to: int | None = None
        self.pages: dict[int, bytes] = {}       # pages of code read during this run, by number
        self.sp_register = register_id(machine.layout.sp)
        self.handler = machine.handler
        machine._native.hook("UC_HOOK_CODE", self._on_step)
        machine._native.hook("UC_HOOK_MEM_WRITE", self._on_write)
        # What setup already ran was translated without the hooks, and would run past them.
        machine.uc.ctl_flush_tb()

    def reset(self) -> None:
        self.steps.clear()
        self.writes.clear()
        self.return_to = None
        self.pages.clear()

    def _on_step(self, address: int, size: int, _data) -> None:
        # Unicorn reports a nonsense size for an opcode it does not know (erets, for one).
        size = min(size, 15)
        page, offset = address // PAGE, address % PAGE
        code = self.pages.get(page)
        if code is not None and offset + size <= PAGE:      # called at every instruction
            self.steps.append((address, code[offset:offset + size]))
        else:
            self.steps.append((address, self._code(address, size)))
        if address == self.handler:
            self.machine.record_pt_regs()
            uc = self.machine.uc
            sp = uc.reg_read(self.sp_register)
            self.return_to = int.from_bytes(uc.mem_read(sp, self.machine.layout.word), "little")
        elif address == self.return_to:
            self.return_to = None

    def _code(self, address: int, size: int) -> bytes:
        """The bytes of the instruction at `address` as they are now. A run's instructions come
        from a few pages, so a page is read once and sliced, and read again after a write to it."""
        page, offset = divmod(address, PAGE)
        read = self.machine._native.read
        if offset + size > PAGE:
            return read(address, size)
        if page not in self.pages:
            self.pages[page] = read(page * PAGE, PAGE)
        return self.pages[page][offset:offset + size]

    def _on_write(self, _access, address: int, size: int, value: int, _data) -> None:
        self.pages.pop(address // PAGE, None)
        self.pages.pop((address + size - 1) // PAGE, None)
        # The write is made by the instruction the code hook saw last: its address is the pc.
        pc = self.steps[-1][0]
        self.writes.append(Write(pc, address, size, value & ((1 << 8 * size) - 1),
                                 self.return_to is not None))


# --- event delivery models ------------------------------------------------------------------------
# Each model does what the CPU does between "int3 executed" and "first instruction of the entry
# code": the hook runs with the program counter already past the int3 byte, which is the value the
# CPU saves because #BP is a trap.


