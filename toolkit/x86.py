"""Facts of the x86 int3 path that every stage shares: kernel file paths, pt_regs, helpers, opcodes.

Each fact is written down here once; the modules that generate, parse, emulate or judge code
import it from here. Numbers are the kernel's and the CPU manuals'.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import UsageError

# --- where a kernel tree keeps the int3 path --------------------------------------------------------

#: The helpers (int3_emulate_*) and the instruction sizes and opcodes they use.
TEXT_PATCHING_H = "arch/x86/include/asm/text-patching.h"
#: The x86_64 entry code with the idtentry macro that leaves the gap.
ENTRY_64 = "arch/x86/entry/entry_64.S"
#: struct pt_regs for both architectures (selected by `#ifdef __i386__`).
PTRACE_H = "arch/x86/include/asm/ptrace.h"
#: FRED event entry (v6.9+): a tree with this file can deliver events through FRED.
FRED_ENTRY = "arch/x86/entry/entry_fred.c"
#: The x86_32 entry code, whose FIXUP_FRAME and IRET_FRAME macros (v5.3+) make and undo the gap.
ENTRY_32 = "arch/x86/entry/entry_32.S"
#: The FRED entry points (v6.9+): asm_fred_entrypoint_kernel is where a ring-0 event lands.
FRED_ENTRY_S = "arch/x86/entry/entry_64_fred.S"
#: The int3 batch and handler of text patching (text_poke_queue, poke_int3_handler, ...).
ALTERNATIVE_C = "arch/x86/kernel/alternative.c"
#: The kernel's list of common misspellings (`wrong||right` per line).
SPELLING_TXT = "scripts/spelling.txt"
#: Where kbuild looks for an #include when it builds x86 (LINUXINCLUDE, then USERINCLUDE), in
#: order. The generated folders exist only in a built tree; what only they would hold (asm/types.h,
#: for instance) stays unresolved in a source tree, as does a C library header.
INCLUDE_PATH = ("arch/x86/include", "arch/x86/include/generated", "include",
                "arch/x86/include/uapi", "arch/x86/include/generated/uapi", "include/uapi",
                "include/generated/uapi")

#: Names the int3 path had and dropped: `create_gap`, the idtentry parameter of v5.2-v5.7, which
#: the v5.8 rework replaced by `.if \vector == X86_TRAP_BP` (comments kept naming it until 2025).
RETIRED_NAMES = frozenset({"create_gap"})

# --- struct pt_regs -----------------------------------------------------------------------------------

#: The slots the CPU itself pushes on an exception from any ring (lowest address first).
HARDWARE_FRAME = ("ip", "cs", "flags", "sp", "ss")
#: The words the x86_64 entry copies to make the gap: orig_ax and the hardware frame.
COPIED_FRAME = ("orig_ax", *HARDWARE_FRAME)
#: On x86_32 a kernel-mode trap pushes only these; sp and ss are what the frame fix-up adds.
KERNEL_HARDWARE_FRAME = {"x86_64": HARDWARE_FRAME, "x86_32": ("ip", "cs", "flags")}

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
        return HARDWARE_FRAME

    def to_dict(self) -> dict:
        """The layout as plain data: `{"arch", "size", "slots": [{"name", "offset", "size"}]}`."""
        return {"arch": self.arch, "size": self.size,
                "slots": [{"name": s.name, "offset": s.offset, "size": s.size} for s in self.slots]}


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


# --- the helpers and the instructions they emulate ----------------------------------------------------

#: The emulation helpers in the order the header defines them (callees before callers).
HELPERS = ("jmp", "push", "pop", "call", "ret", "jcc")

#: Entry styles per architecture; the first is the default.
#: trap_bp: the v5.8+ `.if \vector == X86_TRAP_BP` form; create_gap: the v5.2-v5.7 idtentry
#: parameter; fixup_frame: the 32-bit kernel-mode frame fix-up (v5.3+).
STYLES = {"x86_64": ("trap_bp", "create_gap"), "x86_32": ("fixup_frame",)}

#: The mechanisms the comment on int3_emulate_push can name as the source of its room.
MECHANISMS = ("bp_gap", "fixup_frame", "fred")

#: How a breakpoint reaches the entry code, per architecture; the first is the default.
#: idt: the IDT gate the CPU has always had; fred: FRED event delivery (x86_64, v6.9+), where
#: the CPU itself leaves a red zone below a ring-0 stack and the entry code makes no gap.
DELIVERIES = {"x86_64": ("idt", "fred"), "x86_32": ("idt",)}

#: FRED_CONFIG_REDZONE: the bytes a ring-0 FRED event skips below the interrupted stack pointer.
FRED_REDZONE = 64

#: The x86_32 entry macros a kernel-mode trap runs through: FIXUP_FRAME builds the five-word frame
#: (and so the gap) on entry, IRET_FRAME rebuilds the iret frame below regs->sp on the way out.
FIXUP_MACROS = ("FIXUP_FRAME", "IRET_FRAME")
#: What the kernel's x86_32 entry pushes below orig_ax before FIXUP_FRAME runs, lowest first: fs,
#: and the gs slot (where the C function is kept). FIXUP_FRAME copies them with the frame, so
#: its copy is these words more than the frame's own.
FIXUP_PUSHED_FIRST = ("fs", "gs")
#: The C macros FIXUP_FRAME and IRET_FRAME test with, as the kernel's headers define them, for
#: their code when no tree is there to read them from: the CS slot's high-half mark of a frame
#: the fix-up built (entry_32.S), the selector bit only user privilege sets (asm/segment.h), the
#: whole privilege field, which v5.3 and v5.4.0 test instead (asm/segment.h), the vm86 flag
#: (processor-flags.h).
FIXUP_C_MACROS = (("CS_FROM_KERNEL", "(1 << 29)"), ("USER_SEGMENT_RPL_MASK", "0x2"),
                  ("SEGMENT_RPL_MASK", "0x3"), ("X86_EFLAGS_VM", "(1 << 17)"))
#: The FRED kernel entry point and the macros it is made of (entry_64_fred.S, v6.9+).
FRED_KERNEL_ENTRY = "asm_fred_entrypoint_kernel"
#: Its names: the merged one first, then the one the FRED series had on the list until its
#: entry points gained the asm_ prefix.
FRED_KERNEL_ENTRIES = (FRED_KERNEL_ENTRY, "fred_entrypoint_kernel")
FRED_MACROS = ("FRED_ENTER", "FRED_EXIT")
#: The C function the FRED kernel entry calls with pt_regs; the harness's handler stands in.
FRED_KERNEL_DISPATCH = "fred_entry_from_kernel"
#: The kernel's own entry pieces a state of the int3 path keeps beside the gap, per file: the
#: x86_32 frame fix-up and exit, and the FRED kernel entry (its macros, then its symbol).
ENTRY_PIECES = {ENTRY_32: FIXUP_MACROS, FRED_ENTRY_S: (*FRED_MACROS, *FRED_KERNEL_ENTRIES)}
#: The files beside an entry file that it includes and takes assembler macros from: the FRED
#: entry's register save and restore (PUSH_AND_CLEAR_REGS, POP_REGS) are calling.h's.
ENTRY_BESIDE = {FRED_ENTRY_S: ("arch/x86/entry/calling.h",)}
#: The files the toolkit's reference model holds: without a tree, a patch that changes none of
#: them and names no int3_emulate_*() helper gives the int3 path rules nothing to judge.
MODELLED_FILES = frozenset({TEXT_PATCHING_H, ENTRY_64, *ENTRY_PIECES,
                            *(path for paths in ENTRY_BESIDE.values() for path in paths)})
HELPER_PREFIX = "int3_emulate_"

#: The #BP vector number (X86_TRAP_BP).
TRAP_BP = 3


@dataclass(frozen=True, slots=True)
class Insn:
    """An instruction the helpers emulate or the patcher writes: its macro stem, size and opcode."""

    name: str
    size: int
    opcode: int


#: INT3 first: it is the byte every site starts with while being patched.
INSNS = (Insn("INT3", 1, 0xCC), Insn("RET", 1, 0xC3), Insn("CALL", 5, 0xE8),
         Insn("JMP32", 5, 0xE9), Insn("JMP8", 2, 0xEB))

#: The RFLAGS bits the Jcc conditions test, by their architectural bit number.
EFLAGS_BITS = (("CF", 0), ("PF", 2), ("ZF", 6), ("SF", 7), ("OF", 11))


@dataclass(frozen=True, slots=True)
class Condition:
    """One pair of Jcc opcodes: `cc >> 1` selects it, the odd member of the pair inverts it."""

    index: int
    mnemonics: tuple[str, str]
    flags: tuple[str, ...]       # taken when any of these is set (ordinary conditions)
    signed: bool = False         # taken when SF != OF ...
    or_zero: bool = False        # ... or ZF is set


#: The low nibble of a Jcc opcode (0x7X short, 0x0F 0x8X near) is `index << 1 | invert`.
CONDITIONS = (
    Condition(0, ("jo", "jno"), ("OF",)),
    Condition(1, ("jb", "jae"), ("CF",)),
    Condition(2, ("je", "jne"), ("ZF",)),
    Condition(3, ("jbe", "ja"), ("CF", "ZF")),
    Condition(4, ("js", "jns"), ("SF",)),
    Condition(5, ("jp", "jnp"), ("PF",)),
    Condition(6, ("jl", "jge"), (), signed=True),
    Condition(7, ("jle", "jg"), (), signed=True, or_zero=True),
)

#: The helper that emulates each instruction a scenario patches (`jmp32` and `jmp8` are both jumps).
HELPER_OF = {"call": "call", "jmp32": "jmp", "jmp8": "jmp", "push": "push", "pop": "pop",
             "ret": "ret", "jcc": "jcc"}

#: The condition names of the 16 Jcc opcodes, by the low nibble of the opcode.
CC_NAMES = tuple(name.removeprefix("j") for c in CONDITIONS for name in c.mnemonics)

#: The machine code of single instructions the emulator places or looks for.
INT3 = b"\xcc"
HLT = b"\xf4"
#: erets, FRED's return to the same ring: written as bytes, since GNU as knows the mnemonic only
#: from binutils 2.41 (and Unicorn not at all: it raises #UD, which the emulator completes).
ERETS = b"\xf2\x0f\x01\xca"


def pack_format(word: int, count: int = 1) -> str:
    """The struct format of `count` little-endian machine words of `word` bytes."""
    return f"<{count}{'Q' if word == 8 else 'I'}"
