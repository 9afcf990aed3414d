"""Rendering of a Target into C and assembly text through the jinja2 templates.

The harness contract (what the emulator relies on), for both architectures:

- `render_harness(t)` is GNU as source (`as --64` / `as --32`) that defines one global function
  symbol, `toolkit_int3_entry`, to be installed as the int3 (#BP, vector 3) handler. The CPU must
  have pushed the usual trap frame (ip, cs, flags, and sp/ss when the stack changed); the stub
  pushes -1 as orig_ax, runs the entry-gap code of `render_entry(t)` (trapped in kernel mode, the
  frame moves `t.gap_bytes` down), stores every general-purpose register (and on x86_32 ds, es,
  fs, gs) into a `struct pt_regs` laid out as `toolkit.x86.reference(t.arch)`, and calls the
  undefined symbol `toolkit_int3_handler(struct pt_regs *regs)`: x86_64 SysV ABI (regs in %rdi),
  x86_32 plain cdecl (regs on the stack; no regparm). The stack is 16-byte aligned at the call.
- After the handler returns, every register is reloaded from *regs (so the handler's changes to
  regs->ax, ... take effect; the handler itself may clobber anything the ABI allows) and the stub
  returns with iretq/iret to regs->ip, with regs->flags and on regs->sp: x86_64 pops the frame
  from pt_regs; x86_32, returning to kernel mode, first writes a 3-word iret frame below regs->sp.
  Nothing but the frame, pt_regs and the stack below them is written.
- On x86_32 the segment registers are reloaded from pt_regs, so they must hold loadable selectors
  (the null selector is fine for ds, es, fs, gs).
- With `t.delivery == "fred"` (x86_64) the stub is the ring-0 FRED event entry instead: the CPU
  has skipped the red zone, aligned the stack to 64 bytes and pushed its 64-byte frame, whose
  lowest word, the error code, is pt_regs->orig_ax. The stub makes no gap, saves and reloads the
  registers as above and returns with erets, which pops ip, cs, flags, sp and ss from pt_regs.
- The harness refers to `struct pt_regs` offsets only through `.set PT_<SLOT>, <offset>` lines
  generated from the same layout as `render_prelude(t)`, whose `_Static_assert`s let gcc check it.
"""

from __future__ import annotations

import functools
import textwrap
from importlib import resources
from pathlib import Path

from toolkit.codegen.target import Target
from toolkit.errors import UsageError
from toolkit.x86 import (
    CONDITIONS,
    EFLAGS_BITS,
    ERETS,
    FIXUP_PUSHED_FIRST,
    FRED_KERNEL_DISPATCH,
    FRED_REDZONE,
    INSNS,
    TRAP_BP,
)

#: The templates ship inside this package (the top-level templates/ of a checkout links here).
TEMPLATES = Path(str(resources.files("toolkit.codegen"))) / "templates"


@functools.cache
def _environment():
    """The one jinja2 environment; jinja2 is imported here, on first use, because a check whose
    reference code is already in the cache renders nothing."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )

_ORIG_AX = -1            # orig_ax of a trap: it interrupted no system call
_STACK_ALIGN = 16        # what both C ABIs expect of %sp at a call
_RPL_MASK = 3            # the privilege level bits of a selector: 0 is kernel mode
_SELECTOR_MASK = 0xFFFF  # a selector is 16 bits of its 32-bit stack slot
_SIZE_TYPE = {"x86_64": "unsigned long", "x86_32": "unsigned int"}   # the psABIs' size_t
_COMMENT_WIDTH = 72     # text columns of a paragraph in a C block comment
_SEGMENTS = ("ds", "es", "fs", "gs", "cs", "ss")


def render_header(t: Target) -> str:
    """The helper header: the *_INSN_SIZE/_OPCODE macros and the int3_emulate_* helpers."""
    return _render("text-patching.h.j2", t, **_header_values(t))


def render_helpers(t: Target) -> str:
    """The helper block alone (`#ifndef CONFIG_UML_X86` ... `#endif`), as a kernel header holds it."""
    return _environment().get_template("_helpers.h.j2").render(**_header_values(t))


def render_prelude(t: Target) -> str:
    """toolkit_prelude.h: kernel type names, BUG(), X86_EFLAGS_* and a checked struct pt_regs."""
    layout = t.ptregs
    return _render("toolkit_prelude.h.j2", t,
                   # Both spellings, as the kernel's processor-flags header has them: real
                   # trees' jcc helpers shift by the _BIT form.
                   eflags=[pair for name, bit in EFLAGS_BITS
                           for pair in ((f"X86_EFLAGS_{name}_BIT", str(bit)),
                                        (f"X86_EFLAGS_{name}", f"0x{1 << bit:08x}UL"))],
                   fields=[field for slot in layout.slots for field in _c_fields(t, slot.name)],
                   offsets=[(s.name, s.offset) for s in layout.slots],
                   ptregs_size=layout.size, size_type=_SIZE_TYPE[t.arch],
                   parameters=f"arch={t.arch}")     # nothing else changes the prelude


def render_entry(t: Target) -> str:
    """The entry-gap macros alone, with the pt_regs offsets they use (GNU as).

    x86_64: `toolkit_idtentry_gap` (parameter `vector` for trap_bp, `create_gap=0` for create_gap);
    x86_32: `toolkit_fixup_frame` for the entry and `toolkit_iret_frame` for the exit, then
    FIXUP_FRAME and IRET_FRAME in the kernel's layout (or why the gap does not fit it).
    """
    values = _entry_values(t)
    if t.arch == "x86_32":
        try:
            values.update(kernel_fixup=render_kernel_fixup(t), kernel_refusal="",
                          kernel_copy_words=t.kernel_copy_words)
        except UsageError as refused:
            values.update(kernel_fixup="", kernel_refusal=str(refused))
    return _render(_per_arch(t, "entry"), t, **values)


def render_harness(t: Target) -> str:
    """The whole int3 entry stub the emulator runs; see the module docstring for its contract."""
    registers = [(_register(t, s.name), s.name) for s in t.register_slots
                 if s.name not in _SEGMENTS]
    if t.delivery == "fred":
        # Neither the gap nor the helpers change this stub: its banner names what does.
        return _render("harness_fred_64.S.j2", t, parameters=f"arch={t.arch} delivery=fred",
                       registers=registers, stack_align=_STACK_ALIGN, redzone=FRED_REDZONE,
                       equates=_equates(t), ptregs_size=t.ptregs.size, iret="erets",
                       erets=", ".join(f"0x{byte:02x}" for byte in ERETS))
    values = _entry_values(t)
    if t.arch == "x86_64":
        calling, iret = "SysV ABI, regs in %rdi", "iretq"
    else:
        calling, iret = "cdecl, regs on the stack", "iret"
        values.update(segments=[s.name for s in t.register_slots if s.name in _SEGMENTS],
                      restored_early=[(r, n) for r, n in registers if n not in ("ax", "cx")],
                      arg_pad=_STACK_ALIGN - t.word)
    return _render(_per_arch(t, "harness"), t, registers=registers, orig_ax=_ORIG_AX,
                   stack_align=_STACK_ALIGN, calling=calling, iret=iret, **values)


def render_kernel_harness(t: Target, macros: str, origin: str,
                          fs_before_fixup: bool = True) -> str:
    """The harness around a kernel's own entry code, as a `.S` text for the C preprocessor:
    `macros` defines FIXUP_FRAME and IRET_FRAME (x86_32) or toolkit_fred_entrypoint_kernel (the
    body of asm_fred_entrypoint_kernel, FRED), which the harness places where the kernel has them;
    `origin` says where they came from; `fs_before_fixup` whether %fs is pushed before
    FIXUP_FRAME (5.4.y stable on) or after it (v5.3, v5.4.0). The contract is the module
    docstring's."""
    if t.delivery == "fred":
        return _render("harness_fred_kernel.S.j2", t, parameters=f"arch={t.arch} delivery=fred",
                       macros=macros, origin=origin, redzone=FRED_REDZONE,
                       dispatch=FRED_KERNEL_DISPATCH)
    if t.arch != "x86_32":
        raise UsageError("the kernel's own x86_64 IDT entry runs in the generated harness")
    # SAVE_ALL pushes the slots from es down to bx after FIXUP_FRAME; fs and gs come before it.
    below_fs = [s.name for s in t.register_slots][:[s.name for s in t.register_slots].index("fs")]
    return _render("harness_32_kernel.S.j2", t, parameters=f"arch={t.arch}", macros=macros,
                   origin=origin, equates=_equates(t), ptregs_size=t.ptregs.size,
                   saved=[_register(t, name) if name not in _SEGMENTS else name
                          for name in reversed(below_fs)],
                   orig_ax=_ORIG_AX, stack_align=_STACK_ALIGN, arg_pad=_STACK_ALIGN - t.word,
                   calling="cdecl, regs on the stack", iret="iret",
                   fs_before_fixup=fs_before_fixup)


def render_gap_block(t: Target) -> str:
    """The x86_64 gap block alone (`.if ...` to `.endif`), as the idtentry macro in a kernel's
    entry_64.S holds it, with the unwind hint objtool needs there."""
    if t.arch != "x86_64":
        raise UsageError(f"the entry gap block of entry_64.S is x86_64 code, not {t.arch}")
    return _environment().get_template("_gap_64.S.j2").render(**_entry_values(t) | {"kernel": True})


def render_kernel_fixup(t: Target) -> str:
    """FIXUP_FRAME and IRET_FRAME as the kernel's entry_32.S has them (fs, the gs slot and orig_ax
    pushed before the fix-up; the C macros CS_FROM_KERNEL, USER_SEGMENT_RPL_MASK, X86_EFLAGS_VM
    left to the tree's headers), with the gap of `t`; a gap that layout cannot make is refused."""
    numbers = t.kernel_fixup()
    stack = [*FIXUP_PUSHED_FIRST, *t.frame_slots[:t.copy_words]]   # lowest address first
    # IRET_FRAME runs with %esp at regs->ip and pushes %eax and %ecx before it reads the frame.
    frame = ["ecx", "ax", *t.frame_slots[1:]]
    return _environment().get_template("_fixup_32_kernel.S.j2").render(
        at={name: stack.index(name) for name in ("cs", "flags")}, copied=stack[::-1],
        lower=numbers["lower"], sp_adjust=numbers["sp_adjust"], copy=numbers["copy"],
        displacement=numbers["displacement"], gap_bytes=t.gap_bytes,
        iret_cs=t.frame_slots.index("cs") - 1, iret_sp=frame.index("sp"),
        rebuilt=[(name, frame.index(name), -below // t.word) for name, below in t.rebuild],
        bottom=-t.rebuild[-1][1] // t.word)


def render_check_handler(t: Target) -> str:
    """A C handler that calls every helper of `t`, so that building it compiles each one."""
    return _render("check_handler.c.j2", t, helpers=t.helpers)




def commit_message(kind: str, t: Target) -> str:
    """The commit message for installing the `entry` gap block, the `helpers` block or the x86_32
    `fixup` (FIXUP_FRAME and IRET_FRAME)."""
    names = {"bp_gap": "the x86_64 #BP entry gap", "fixup_frame": "FIXUP_FRAME on x86_32",
             "fred": "FRED's red zone"}
    text = _render(f"commit_{kind}.txt.j2", t, helpers=t.helpers,
                   helper_names=", ".join(t.helpers),
                   mechanism_names=", ".join(names[m] for m in t.mechanisms),
                   **_entry_values(t), **(t.kernel_fixup() if kind == "fixup" else {}))
    # The values make lines of any length; a commit message body is wrapped at 72 columns.
    subject, _, body = text.partition("\n\n")
    paragraphs = (textwrap.fill(" ".join(p.split()), 72) for p in body.split("\n\n") if p.strip())
    return subject + "\n\n" + "\n\n".join(paragraphs) + "\n"


# --- values handed to the templates ---------------------------------------------------------------

def _render(template: str, t: Target, **values) -> str:
    values.setdefault("parameters", t.describe())
    return _environment().get_template(template).render(template=template, arch=t.arch, **values)


def _per_arch(t: Target, stem: str) -> str:
    return f"{stem}_{'64' if t.arch == 'x86_64' else '32'}.S.j2"


def _header_values(t: Target) -> dict:
    return {
        "insn_macros": [(f"{i.name}_INSN_{kind}", value) for i in INSNS
                        for kind, value in (("SIZE", str(i.size)), ("OPCODE", f"0x{i.opcode:02X}"))],
        "helpers": t.helpers,
        "push_notes": [_push_note(t, m) for m in t.mechanisms],
        "conditions": [{"index": c.index, "mnemonics": c.mnemonics, "test": _jcc_test(c)}
                       for c in CONDITIONS],
    }


def _jcc_test(c) -> str:
    if c.signed:
        return "less || (flags & X86_EFLAGS_ZF)" if c.or_zero else "less"
    masks = " | ".join(f"X86_EFLAGS_{f}" for f in c.flags)
    return f"flags & ({masks})" if len(c.flags) > 1 else f"flags & {masks}"


def _push_note(t: Target, mechanism: str) -> list[str]:
    """The push comment's paragraph about one mechanism, wrapped to the comment's width."""
    if mechanism == "bp_gap":
        where = ("the X86_TRAP_BP case of the idtentry macro" if t.style == "trap_bp"
                 else "idtentry's create_gap=1 parameter")
        size = f" {t.gap_bytes} bytes" if t.arch == "x86_64" else ""
        text = (f"x86_64: when int3 hits kernel code, the entry code (entry_64.S, {where}) "
                f"copies the exception frame{size} lower before it saves pt_regs; the frame's "
                "old place is the gap.")
    elif mechanism == "fixup_frame":
        size = f" {t.gap_bytes} bytes" if t.arch == "x86_32" else ""
        text = ("x86_32: for every trap from kernel mode, FIXUP_FRAME (entry_32.S) builds the "
                f"complete frame, with the real sp and ss,{size} below the one the CPU pushed; "
                "the exit rebuilds the CPU's frame below the possibly lowered regs->sp.")
    else:
        text = ("FRED: ring-0 events do not go through these entry stubs; the CPU itself moves "
                f"the stack pointer down by a {FRED_REDZONE}-byte red zone before pushing its "
                "frame, which leaves the same room.")
    return textwrap.wrap(text, _COMMENT_WIDTH)


def _equates(t: Target) -> list[tuple[str, int]]:
    return [(f"PT_{s.name.upper()}", s.offset) for s in t.ptregs.slots]


def _entry_values(t: Target) -> dict:
    return {
        "equates": _equates(t),
        "ptregs_size": t.ptregs.size,
        "style": t.style,
        "trap_bp": TRAP_BP,
        "gap_words": t.gap_words,
        "gap_bytes": t.gap_bytes,
        "lower_bytes": t.lower_bytes,
        "copy_words": t.copy_words,
        "copy_displacement_words": t.copy_displacement_words,
        "word": t.word,
        "kernel": False,
        "selector_mask": f"0x{_SELECTOR_MASK:08x}",
        "rpl_mask": _RPL_MASK,
        "sp_adjust_bytes": t.sp_adjust_bytes,
        "rebuild": t.rebuild,
        "rebuild_bottom": t.rebuild[-1][1] if t.rebuild else 0,
    }


def _register(t: Target, slot: str) -> str:
    """The register a pt_regs slot saves: r8..r15 as they are, the rest with their r/e prefix."""
    if slot[1:].isdigit():
        return slot
    return ("r" if t.arch == "x86_64" else "e") + slot


def _c_fields(t: Target, slot: str) -> list[tuple[str, str]]:
    # A 32-bit segment slot is a u16 selector and 16 bits the CPU may leave unwritten; naming
    # the padding keeps the selector's own type honest (never read the slot as one word).
    if t.word == 4 and slot in _SEGMENTS:
        return [("unsigned short", slot), ("unsigned short", f"__{slot}h")]
    return [("unsigned long", slot)]
