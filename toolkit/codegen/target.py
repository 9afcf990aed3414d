"""The parameters of one code-generation target, with every offset and size derived from them."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.errors import UsageError
from toolkit.x86 import (
    DELIVERIES,
    FIXUP_PUSHED_FIRST,
    HELPERS,
    KERNEL_HARDWARE_FRAME,
    MECHANISMS,
    STYLES,
    PtRegs,
    Slot,
    reference,
)

# What each helper calls: a header with `call` but no `push` would not compile.
_NEEDS = {"call": ("push", "jmp"), "ret": ("pop", "jmp"), "jcc": ("jmp",)}

# Words a helper stores below regs->sp: the room the entry code must have left.
_PUSHES_WORDS = {"push": 1, "call": 1}

# What the comment on int3_emulate_push names by default: the architecture's own entry.
_DEFAULT_MECHANISMS = {"x86_64": ("bp_gap",), "x86_32": ("fixup_frame",)}


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
        layout = reference(self.arch)         # raises UsageError for an unknown arch
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
    def ptregs(self) -> PtRegs:
        return reference(self.arch)

    @property
    def word(self) -> int:
        return self.ptregs.word

    @property
    def frame_slots(self) -> tuple[str, ...]:
        """orig_ax and the hardware frame above it: the top of pt_regs the entry code builds."""
        names = [s.name for s in self.ptregs.slots]
        return tuple(names[names.index("orig_ax"):])

    @property
    def frame_words(self) -> int:
        return len(self.frame_slots)

    @property
    def register_slots(self) -> tuple[Slot, ...]:
        """The slots below orig_ax, which the entry code fills from registers."""
        slots = self.ptregs.slots
        return slots[:self.ptregs.slots.index(self.ptregs.slot("orig_ax"))]

    @property
    def kernel_hw_frame(self) -> tuple[str, ...]:
        """What the CPU pushes for a trap from kernel mode (lowest address first)."""
        return KERNEL_HARDWARE_FRAME[self.arch]

    @property
    def copy_words(self) -> int:
        """Words on the stack when the gap code runs (orig_ax and the hardware frame): the copy."""
        return 1 + len(self.kernel_hw_frame)

    @property
    def made_words(self) -> int:
        """Frame words the gap code makes up rather than copies (x86_32: ss and sp)."""
        return self.frame_words - self.copy_words

    def offset(self, name: str) -> int:
        return self.ptregs.offset(name)

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

    # --- x86_32 as the kernel lays it out (FIXUP_FRAME and IRET_FRAME of entry_32.S) ------------

    @property
    def kernel_copy_words(self) -> int:
        """The words the kernel's FIXUP_FRAME copies: fs and gs are pushed below orig_ax before it
        runs and belong to pt_regs, so they move down with the frame (6)."""
        return len(FIXUP_PUSHED_FIRST) + self.copy_words

    def kernel_fixup(self) -> dict[str, int]:
        """The numbers of FIXUP_FRAME in the kernel's layout, in words: `lower` (the gap beyond
        the copied words' old place), `sp_adjust` (added to the pushed %esp, which points at the
        %ss word: copy + lower + 1) and `displacement` (the `N` of `pushl N*4(%esp)`: copy + lower
        + 1, as each push moves both ends). A gap this layout cannot make is a UsageError."""
        if self.arch != "x86_32":
            raise UsageError(f"FIXUP_FRAME is x86_32 entry code, not {self.arch}")
        copy = self.kernel_copy_words
        if 0 < self.gap_words < copy:
            raise UsageError(f"a gap of {self.gap_words} words is impossible in the kernel's "
                             "x86_32 entry",
                             why=f"FIXUP_FRAME copies the {copy} words pushed before it (fs, gs, "
                                 "orig_ax and the CPU's frame) down by pushes, so the gap is "
                                 f"those {copy} words or more")
        lower = self.gap_words - copy
        return {"copy": copy, "lower": lower, "sp_adjust": copy + lower + 1,
                "displacement": (copy - 1) + lower + self.made_words}

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
