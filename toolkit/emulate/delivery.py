"""Event delivery models: what the CPU does between executing int3 and the first instruction of the entry.

Each model runs with the program counter already past the int3 byte, which is the value the CPU
saves because #BP is a trap: IDT delivery on x86_64 and x86_32, and FRED on x86_64.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

from toolkit.emulate.engine import Native, RegisterFile, unicorn
from toolkit.emulate.memorymap import Layout
from toolkit.x86 import FRED_REDZONE, HARDWARE_FRAME, pack_format

# RFLAGS bits an interrupt gate clears on delivery (TF, IF, NT, RF).
_TF, _IF, _NT, _RF = 1 << 8, 1 << 9, 1 << 14, 1 << 16
#: The RFLAGS bit that always reads as one.
FLAGS_RESERVED = 1 << 1
#: The slots of the FRED frame, from the lowest address up.
FRED_FRAME = ("orig_ax", "ip", "cs", "flags", "sp", "ss", "event_data", "reserved")
#: How many frames a Cpu keeps made (a few stack pointers per ring in practice).
KEPT_FRAMES = 256


@dataclass(frozen=True, slots=True)
class Frame:
    """What the event delivery pushed: `address` of its lowest word, the slot names from the lowest
    address up, the stack pointer it interrupted and the ring it came from."""

    address: int
    slots: tuple[str, ...]
    word: int
    interrupted_sp: int
    ring: int

    def slot_at(self, address: int) -> str | None:
        index, _ = divmod(address - self.address, self.word)
        return self.slots[index] if 0 <= index < len(self.slots) else None


def push_frame(native: Native, layout: Layout, sp: int, words: tuple[int, ...]) -> int:
    """Write `words` (highest address first, as pushed) below `sp`; return the new stack pointer."""
    low = sp - layout.word * len(words)
    native.write(low, _packer(layout.word, len(words))(*reversed(words)))
    return low


@functools.cache
def _packer(word: int, count: int):
    # Every delivery packs a frame of one of three sizes: the format is parsed once.
    return struct.Struct(pack_format(word, count)).pack


class Cpu:
    """What a delivery model works with: the emulator and its library calls, the layout, where the
    entry code is, the ring-0 state saved at setup, and register files for the few registers
    delivery touches."""

    def __init__(self, uc, native: Native, layout: Layout, entry: int, ring0) -> None:
        self.uc, self.native, self.layout, self.entry, self.ring0 = uc, native, layout, entry, ring0
        self.interrupted = RegisterFile(uc, (layout.pc, layout.sp, layout.flags, "cs", "ss"))
        self.entering = RegisterFile(uc, (layout.sp, layout.flags, layout.pc))
        self.general = RegisterFile(uc, layout.registers[:-4])
        self._frames: dict[tuple, Frame] = {}

    def frame(self, address: int, slots: tuple[str, ...], interrupted_sp: int, ring: int) -> Frame:
        """The Frame of a delivery, made once per place: deliveries from one stack pointer push to
        one place, and a frame is a value (looking one up costs half of making one)."""
        key = (address, interrupted_sp, ring, slots)
        frame = self._frames.get(key)
        if frame is None:
            if len(self._frames) >= KEPT_FRAMES:
                self._frames.clear()
            frame = self._frames[key] = Frame(address, slots, self.layout.word, interrupted_sp, ring)
        return frame

    def enter_kernel(self, sp: int, flags: int, from_user: bool) -> None:
        if from_user:
            # A selector write cannot raise the privilege level (Unicorn keeps the CPL of the old
            # SS), so the ring-0 state saved at setup is restored with the general registers kept.
            values = self.general.read()
            self.native.restore(self.ring0)
            self.general.write(values)
        self.entering.write((sp, flags & ~(_TF | _IF | _NT | _RF) | FLAGS_RESERVED, self.entry))


def deliver_idt64(cpu: Cpu) -> Frame:
    """x86_64 through the IDT: from ring 3 switch to the task stack top first; align the stack
    pointer down to 16 bytes; push SS, RSP, RFLAGS, CS, RIP (no error code for #BP).

    The new SS on a ring change would be a null selector; the kernel data selector is loaded instead,
    which no entry code can tell apart because it only ever stores and restores the saved one."""
    pc, sp, flags, cs, ss = cpu.interrupted.read()
    from_user = bool(cs & 3)
    top = (cpu.layout.task_top if from_user else sp) & ~0xF
    low = push_frame(cpu.native, cpu.layout, top, (ss, sp, flags, cs, pc))
    cpu.enter_kernel(low, flags, from_user)
    return cpu.frame(low, HARDWARE_FRAME, sp, cs & 3)


def deliver_idt32(cpu: Cpu) -> Frame:
    """x86_32 through the IDT: from ring 0 no stack switch, no alignment, and only EFLAGS, CS, EIP
    are pushed; from ring 3 the CPU switches to the task stack top and pushes SS and ESP too."""
    pc, sp, flags, cs, ss = cpu.interrupted.read()
    if cs & 3:
        low = push_frame(cpu.native, cpu.layout, cpu.layout.task_top, (ss, sp, flags, cs, pc))
        names = HARDWARE_FRAME
    else:
        low = push_frame(cpu.native, cpu.layout, sp, (flags, cs, pc))
        names = ("ip", "cs", "flags")
    cpu.enter_kernel(low, flags, bool(cs & 3))
    return cpu.frame(low, names, sp, cs & 3)




def deliver_fred(cpu: Cpu) -> Frame:
    """FRED: from ring 0 lower RSP by the 64-byte red zone, from ring 3 switch to the task stack
    top; align down to 64 bytes; push the 64-byte FRED frame (reserved, event data, SS with the
    event type and vector, RSP, RFLAGS, CS, RIP, error code 0).

    The event-information bits of the SS word (vector 3, type 4 = software exception) are set as the
    CPU sets them: entry code must mask them off before using the slot as a selector."""
    pc, sp, flags, cs, ss = cpu.interrupted.read()
    from_user = bool(cs & 3)
    top = (cpu.layout.task_top if from_user else sp - FRED_REDZONE) & ~0x3F
    ss_word = ss | 3 << 32 | 4 << 48
    low = push_frame(cpu.native, cpu.layout, top, (0, 0, ss_word, sp, flags, cs, pc, 0))
    cpu.enter_kernel(low, flags, from_user)
    return cpu.frame(low, FRED_FRAME, sp, cs & 3)


def return_fred(uc, layout: Layout) -> None:
    """ERETS: with the stack pointer at the FRED frame's error code, as event delivery left it,
    skip that word and pop RIP, CS, RFLAGS, RSP and SS, ignoring the event bits (the kernel's
    FRED_EXIT pops the registers and executes erets right there)."""
    sp = uc.reg_read(unicorn.x86_const.UC_X86_REG_RSP)
    pc, cs, flags, new_sp, ss = struct.unpack("<5Q", uc.mem_read(sp + 8, 40))
    if cs & 3:
        uc.reg_write(unicorn.x86_const.UC_X86_REG_CS, cs & 0xFFFF)
        uc.reg_write(unicorn.x86_const.UC_X86_REG_SS, ss & 0xFFFF)
    uc.reg_write_batch([(unicorn.x86_const.UC_X86_REG_RSP, new_sp), (unicorn.x86_const.UC_X86_REG_RFLAGS, flags),
                        (unicorn.x86_const.UC_X86_REG_RIP, pc)])
