"""The parameters of one code-generation target, with every offset and size derived from them."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit import ptregs
from toolkit.errors import UsageError

#: The emulation helpers in the order the header defines them (callees before callers).
HELPERS = ("jmp", "push", "pop", "call", "ret", "jcc")

# What each helper calls: a header with `call` but no `push` would not compile.
_NEEDS = {"call": ("push", "jmp"), "ret": ("pop", "jmp"), "jcc": ("jmp",)}

# Words a helper stores below regs->sp: the room the entry code must have left.
_PUSHES_WORDS = {"push": 1, "call": 1}

#: Entry styles per architecture; the first is the default.
#: trap_bp: the v5.8+ `.if \vector == X86_TRAP_BP` form; create_gap: the v5.2-v5.7 idtentry
#: parameter; fixup_frame: the 32-bit kernel-mode frame fix-up (v5.3+).
STYLES = {"x86_64": ("trap_bp", "create_gap"), "x86_32": ("fixup_frame",)}

#: The mechanisms the comment on int3_emulate_push can name as the source of its room.
MECHANISMS = ("bp_gap", "fixup_frame", "fred")
_DEFAULT_MECHANISMS = {"x86_64": ("bp_gap",), "x86_32": ("fixup_frame",)}

#: How a breakpoint reaches the entry code, per architecture; the first is the default.
#: idt: the IDT gate the CPU has always had; fred: FRED event delivery (x86_64, v6.9+), where
#: the CPU itself leaves a red zone below a ring-0 stack and the entry code makes no gap.
DELIVERIES = {"x86_64": ("idt", "fred"), "x86_32": ("idt",)}

#: FRED_CONFIG_REDZONE: the bytes a ring-0 FRED event skips below the interrupted stack pointer.
FRED_REDZONE = 64

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

# On x86_32 a kernel-mode trap pushes only these; sp and ss are what the frame fix-up adds.
_KERNEL_HW_FRAME = {"x86_64": ("ip", "cs", "flags", "sp", "ss"), "x86_32": ("ip", "cs", "flags")}


@dataclass(frozen=True, slots=True)
class Target:
    """What to generate: architecture, entry gap, helpers, what the push comment names, and the
    event delivery the emulator's harness is entered by.

    `style` and `mechanisms` default to the architecture's own; `helpers` is kept in header order.
    The gap describes the kernel's IDT entry code, which a FRED kernel keeps for other CPUs, so
    `delivery` changes the harness alone.
    """

    arch: str = "x86_64"
    gap_words: int = 6
    style: str | None = None
    helpers: tuple[str, ...] = HELPERS
    mechanisms: tuple[str, ...] | None = None
    delivery: str = "idt"

    def __post_init__(self) -> None:
        layout = ptregs.reference(self.arch)         # raises UsageError for an unknown arch
        styles = STYLES[self.arch]
        if self.style is None:
            object.__setattr__(self, "style", styles[0])
        elif self.style not in styles:
            raise UsageError(f"unknown entry style {self.style!r} for {self.arch} "
                             f"(one of {', '.join(styles)})")
        if self.mechanisms is None:
            object.__setattr__(self, "mechanisms", _DEFAULT_MECHANISMS[self.arch])
        _check_names("mechanism", self.mechanisms, MECHANISMS)
        if self.delivery not in DELIVERIES[self.arch]:
            raise UsageError(f"no {self.delivery!r} event delivery on {self.arch} "
                             f"(one of {', '.join(DELIVERIES[self.arch])})")
        _check_names("helper", self.helpers, HELPERS)
        object.__setattr__(self, "helpers", tuple(h for h in HELPERS if h in self.helpers))
        for helper in self.helpers:
            missing = [n for n in _NEEDS.get(helper, ()) if n not in self.helpers]
            if missing:
                raise UsageError(f"int3_emulate_{helper} needs "
                                 + " and ".join(f"int3_emulate_{n}" for n in missing))
        self._check_gap(layout.word)

    def _check_gap(self, word: int) -> None:
        if not isinstance(self.gap_words, int) or self.gap_words < 0:
            raise UsageError(f"gap words must be a whole number >= 0, not {self.gap_words!r}")
        needed = self.push_words + self.rebuild_words
        if self.gap_words < needed:
            pushers = [f"int3_emulate_{h}" for h in self.helpers if h in _PUSHES_WORDS]
            reasons = [f"{' and '.join(pushers)} store {self.push_words} word(s) below regs->sp"
                       ] if pushers else []
            if self.rebuild_words:
                reasons.append(f"the exit writes {self.rebuild_words} words of iret frame there")
            raise UsageError(f"a gap of {self.gap_words} words ({self.gap_words * word} bytes) "
                             f"is too small for the helpers on {self.arch}: at least "
                             f"{self.min_gap_words} words needed", why=", and ".join(reasons))
        if 0 < self.gap_words < self.copy_words:
            raise UsageError(f"a gap of {self.gap_words} words is impossible on {self.arch}",
                             why=f"the entry copies the {self.copy_words}-word frame down by "
                                 "pushes, which only works for a gap of 0 or at least "
                                 f"{self.copy_words} words")

    # --- the frame ---------------------------------------------------------------------------

    @property
    def layout(self) -> ptregs.PtRegs:
        return ptregs.reference(self.arch)

    @property
    def word(self) -> int:
        return self.layout.word

    @property
    def frame_slots(self) -> tuple[str, ...]:
        """orig_ax and the hardware frame above it: the top of pt_regs the entry code builds."""
        names = [s.name for s in self.layout.slots]
        return tuple(names[names.index("orig_ax"):])

    @property
    def frame_words(self) -> int:
        return len(self.frame_slots)

    @property
    def register_slots(self) -> tuple[ptregs.Slot, ...]:
        """The slots below orig_ax, which the entry code fills from registers."""
        slots = self.layout.slots
        return slots[:self.layout.slots.index(self.layout.slot("orig_ax"))]

    @property
    def kernel_hw_frame(self) -> tuple[str, ...]:
        """What the CPU pushes for a trap from kernel mode (lowest address first)."""
        return _KERNEL_HW_FRAME[self.arch]

    @property
    def copy_words(self) -> int:
        """Words on the stack when the gap code runs (orig_ax and the hardware frame): the copy."""
        return 1 + len(self.kernel_hw_frame)

    @property
    def made_words(self) -> int:
        """Frame words the gap code makes up rather than copies (x86_32: ss and sp)."""
        return self.frame_words - self.copy_words

    def offset(self, name: str) -> int:
        return self.layout.offset(name)

    @property
    def cs_from_orig_ax(self) -> int:
        """Where the saved CS is while %rsp/%esp still points at orig_ax (CS-ORIG_RAX)."""
        return self.offset("cs") - self.offset("orig_ax")

    # --- the gap -----------------------------------------------------------------------------

    @property
    def push_words(self) -> int:
        """The most words any chosen helper stores below regs->sp."""
        return max((_PUSHES_WORDS.get(h, 0) for h in self.helpers), default=0)

    @property
    def rebuild_words(self) -> int:
        """Words the exit writes below regs->sp (x86_32: the 3-word iret frame and a scratch %eax).

        x86_64 needs none: iretq reads its frame from pt_regs itself.
        """
        return 0 if self.arch == "x86_64" else len(self.kernel_hw_frame) + 1

    @property
    def min_gap_words(self) -> int:
        needed = self.push_words + self.rebuild_words
        return needed if needed == 0 else max(needed, self.copy_words)

    @property
    def gap_bytes(self) -> int:
        return self.gap_words * self.word

    @property
    def lower_bytes(self) -> int:
        """How far the gap code lowers the stack pointer before the copy: the part of the gap
        beyond the copied frame's own old place."""
        return max(self.gap_words - self.copy_words, 0) * self.word

    @property
    def copy_displacement_words(self) -> int:
        """The `N` of `push N*word(%sp)` that walks the frame down: from the stack pointer at the
        first copying push to the topmost copied word. Every push moves both by one word."""
        return (self.copy_words - 1) + self.lower_bytes // self.word + self.made_words

    @property
    def sp_adjust_bytes(self) -> int:
        """x86_32: added to the pushed %esp (taken after %ss was pushed) to get the interrupted
        stack pointer, which is above the copied words and the lowered part of the gap."""
        return self.copy_words * self.word + self.lower_bytes + self.word

    @property
    def rebuild(self) -> tuple[tuple[str, int], ...]:
        """x86_32 exit: (pt_regs slot, displacement from regs->sp) of each rebuilt word, written
        top down so the slot last read is `ax`, popped into %eax just before iret."""
        order = tuple(reversed(self.kernel_hw_frame)) + ("ax",)
        return tuple((name, -(i + 1) * self.word) for i, name in enumerate(order))

    def describe(self) -> str:
        """The parameters as a banner line prints them."""
        return (f"arch={self.arch} gap_words={self.gap_words} style={self.style} "
                f"helpers={','.join(self.helpers)} mechanisms={','.join(self.mechanisms)}")


def _check_names(kind: str, given: tuple[str, ...], known: tuple[str, ...]) -> None:
    if isinstance(given, str) or not given:
        raise UsageError(f"give at least one {kind} as a tuple of names (from {', '.join(known)})")
    unknown = [n for n in given if n not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {unknown[0]!r} (one of {', '.join(known)})")
