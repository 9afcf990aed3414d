"""Evidence of a failed or caught scenario: offending writes, trace, registers and the stack's words.

Everything here is plain data (dicts, lists, strings) so that it goes into JSON unchanged;
`toolkit.validate.pictures` draws it for a terminal and for a browser.
"""

from __future__ import annotations

from typing import Any

from toolkit.emulate.disasm import disassemble
from toolkit.x86 import COPIED_FRAME

# pt_regs slots a handler may legitimately write: the helpers move ip and sp, a pop returns into ax.
WRITABLE_SLOTS = frozenset(("ip", "sp", "ax"))
# pt_regs slots that hold the frame the exit returns through: writing them is corrupting the frame.
FRAME_SLOTS = frozenset(COPIED_FRAME)
TRACE_TAIL = 80


def region(address: int, run, ptregs) -> tuple[str, str | None]:
    """What the stack word at `address` is during the handler: (region, slot or None).

    Regions: "pt_regs", "fred frame" (the FRED words above pt_regs), "gap" (between pt_regs and
    the interrupted stack pointer: free room, including the old frame and any alignment pad),
    "interrupted stack" (at or above the interrupted stack pointer), "below pt_regs" (the
    handler's own stack) and "elsewhere" (not near the event at all)."""
    base, frame = run.pt_regs, run.frame
    if base is None or frame is None:
        return "elsewhere", None
    if base <= address < base + ptregs.size:
        return "pt_regs", ptregs.slot_at(address - base).name
    slot = frame.slot_at(address)
    if slot in ("event_data", "reserved"):
        return "fred frame", slot
    same_stack = abs(address - frame.interrupted_sp) < 0x10000
    if same_stack and address >= frame.interrupted_sp:
        return "interrupted stack", None
    if base + ptregs.size <= address < frame.interrupted_sp:
        if frame.address <= address < frame.address + frame.word * len(frame.slots):
            return "gap", f"old {slot}"
        return "gap", None
    if base - 0x1000 <= address < base:
        return "below pt_regs", None
    return "elsewhere", None


def bad_writes(run, ptregs) -> list[dict[str, Any]]:
    """Writes the handler made into a saved frame, a pt_regs slot it has no business in, or
    outside the gap; each with the address, the slot and one line of text."""
    found = []
    for write in run.writes:
        if not write.in_handler:
            continue
        where, slot = region(write.address, run, ptregs)
        if where == "pt_regs" and slot not in WRITABLE_SLOTS:
            what = f"pt_regs.{slot}" + (" (the saved frame)" if slot in FRAME_SLOTS else "")
        elif where == "fred frame":
            what = f"the FRED frame's {slot} word"
        elif where == "interrupted stack":
            offset = write.address - run.frame.interrupted_sp
            what = f"the interrupted stack at sp+{offset}, outside the gap"
        else:
            continue
        found.append({"pc": f"{write.pc:#x}", "address": f"{write.address:#x}",
                      "size": write.size, "value": f"{write.value:#x}", "region": where,
                      "slot": slot,
                      "text": f"the handler wrote {write.value:#x} at {write.address:#x} into "
                              f"{what} (instruction at {write.pc:#x})"})
    return found


def bad_copy(run, ptregs) -> str | None:
    """What the entry code (not the handler) last stored into pt_regs.sp, when that is not the
    stack pointer the event interrupted: a frame copied from the wrong words, which otherwise
    shows only later, as a push through the wrong pointer."""
    if run.pt_regs is None or run.frame is None:
        return None
    where = run.pt_regs + ptregs.offset("sp")
    stored = [w.value for w in run.writes if not w.in_handler and w.address == where]
    if not stored or stored[-1] == run.frame.interrupted_sp:
        return None
    return (f"the entry copied {stored[-1]:#x} into pt_regs.sp, not the interrupted stack "
            f"pointer {run.frame.interrupted_sp:#x}: the frame copy starts at the wrong word")


def collect(name: str, probe, reference, run, layout, ptregs) -> dict[str, Any]:
    """The whole evidence of one scenario as plain data."""
    before = dict(probe.registers)
    return {
        "scenario": name,
        "stop": {"how": run.stop, "at": f"{run.stopped_at:#x}", "detail": run.detail},
        "registers": [{"name": r, "before": _hex(before.get(r)),
                       "real": _hex(reference.registers.get(r)),
                       "emulated": _hex(run.registers.get(r))} for r in layout.registers],
        # Only the tail is shown; it is disassembled when shown (`with_trace`): capstone takes
        # longer to load than a whole table of runs.
        "code": [run.arch, [[f"{address:#x}", code.hex()]
                            for address, code in run.steps[-TRACE_TAIL:]]],
        "bad_writes": bad_writes(run, ptregs),
        "stack": stack_rows(run, layout, ptregs),
    }


def with_trace(data: dict[str, Any]) -> dict[str, Any]:
    """Evidence as it is shown and written: the instructions of the run's tail disassembled
    into `trace` ([address, AT&T text]) in place of their bytes."""
    if "code" not in data:
        return data
    arch, code = data["code"]
    steps = [(int(address, 16), bytes.fromhex(text)) for address, text in code]
    shown = {key: value for key, value in data.items() if key != "code"}
    shown["trace"] = [[f"{address:#x}", text] for address, text in disassemble(arch, steps)]
    return shown


def stack_rows(run, layout, ptregs) -> list[dict[str, Any]]:
    """One row per stack word from pt_regs up to a few words above the interrupted stack pointer,
    highest address first (as stack diagrams are drawn)."""
    if run.frame is None or run.pt_regs is None:
        return []
    word = layout.word
    start, data = run.window
    if not start <= run.pt_regs < start + len(data):
        return []           # from ring 3 pt_regs is on the task stack, outside the window
    low = max(run.pt_regs, start)
    high = min(run.frame.interrupted_sp + 4 * word, start + len(data))
    written = {int(w["address"], 16): w for w in bad_writes(run, ptregs)}
    rows = []
    for address in range(high - word, low - 1, -word):
        value = int.from_bytes(data[address - start:address - start + word], "little")
        where, slot = region(address, run, ptregs)
        label = {"pt_regs": f"pt_regs.{slot}", "fred frame": f"FRED {slot}",
                 "gap": f"gap ({slot})" if slot else "gap",
                 "interrupted stack": f"interrupted sp+{address - run.frame.interrupted_sp}"
                 }.get(where, where)
        bad = written.get(address)
        rows.append({"address": f"{address:#x}", "value": f"{value:#0{2 + 2 * word}x}",
                     "label": label, "region": where,
                     "bad_write": bad["text"] if bad else None})
    return rows


def _hex(value: int | None) -> str | None:
    return None if value is None else f"{value:#x}"
