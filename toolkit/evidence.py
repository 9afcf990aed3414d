"""Evidence of a failed or caught scenario: offending writes, trace, registers and a stack diagram.

Everything here is plain data (dicts, lists, strings) so that it goes into JSON unchanged; the
diagram renders as text for a terminal and as SVG for a browser.
"""

from __future__ import annotations

from html import escape
from typing import Any

# pt_regs slots a handler may legitimately write: the helpers move ip and sp, a pop returns into ax.
WRITABLE_SLOTS = frozenset(("ip", "sp", "ax"))
# pt_regs slots that hold the frame the exit returns through: writing them is corrupting the frame.
FRAME_SLOTS = frozenset(("orig_ax", "ip", "cs", "flags", "sp", "ss"))
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
    from toolkit.emulate import disassemble

    before = dict(probe.registers)
    return {
        "scenario": name,
        "stop": {"how": run.stop, "at": f"{run.stopped_at:#x}", "detail": run.detail},
        "registers": [{"name": r, "before": _hex(before.get(r)),
                       "real": _hex(reference.registers.get(r)),
                       "emulated": _hex(run.registers.get(r))} for r in layout.registers],
        # Only the tail is shown, so only the tail is disassembled.
        "trace": [[f"{address:#x}", text]
                  for address, text in disassemble(run.arch, run.steps[-TRACE_TAIL:])],
        "bad_writes": bad_writes(run, ptregs),
        "stack": stack_rows(run, layout, ptregs),
    }


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


def text(data: dict[str, Any]) -> str:
    """The whole evidence of one scenario for a terminal: stop, bad writes, registers, the end of
    the trace and the stack diagram."""
    stop = data["stop"]
    lines = [f"scenario {data['scenario']}: stopped by {stop['how']} at {stop['at']}"
             + (f" ({stop['detail']})" if stop["detail"] else ""), ""]
    lines += [write["text"] for write in data["bad_writes"]]
    lines += ["", f"{'register':<8}  {'before':>18}  {'real instruction':>18}  {'emulated':>18}"]
    for reg in data["registers"]:
        mark = "  <--" if reg["real"] != reg["emulated"] else ""
        lines.append(f"{reg['name']:<8}  {reg['before'] or '':>18}  {reg['real']:>18}  "
                     f"{reg['emulated']:>18}{mark}")
    lines += ["", f"last {len(data['trace'])} instructions:"]
    lines += [f"  {address}  {insn}" for address, insn in data["trace"]]
    return "\n".join(lines) + "\n\n" + stack_text(data["stack"])


def stack_text(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        mark = f"   <-- {row['bad_write']}" if row["bad_write"] else ""
        lines.append(f"{row['address']}  {row['value']}  {row['label']}{mark}")
    return "\n".join(lines) + "\n"


_FILL = {"pt_regs": "#dbe9f6", "fred frame": "#f6e3c8", "gap": "#dcf2dc",
         "interrupted stack": "#ffffff", "below pt_regs": "#eeeeee", "elsewhere": "#eeeeee"}


def stack_svg(rows: list[dict[str, Any]], title: str) -> str:
    """The stack diagram as a standalone SVG: one box per word, coloured by region, saved-frame
    slots outlined, and a red box with the explanation where a faulty write landed."""
    height, width, top = 22, 760, 64
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{top + height * len(rows) + 20}" font-family="monospace" font-size="12">',
             f'<text x="10" y="22" font-size="14">{escape(title)}</text>']
    legend = (("pt_regs", _FILL["pt_regs"], "#888888"), ("saved frame", _FILL["pt_regs"], "#b06000"),
              ("gap", _FILL["gap"], "#888888"), ("FRED words", _FILL["fred frame"], "#888888"),
              ("faulty write", "#f4b6b6", "#c00000"))
    for i, (name, fill, stroke) in enumerate(legend):
        x = 10 + 140 * i
        parts.append(f'<rect x="{x}" y="34" width="14" height="14" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="2"/>')
        parts.append(f'<text x="{x + 20}" y="46">{name}</text>')
    for i, row in enumerate(rows):
        y = top + i * height
        frame_slot = row["label"].split(".")[-1] in FRAME_SLOTS and row["region"] == "pt_regs"
        fill = "#f4b6b6" if row["bad_write"] else _FILL[row["region"]]
        stroke = "#c00000" if row["bad_write"] else ("#b06000" if frame_slot else "#888888")
        parts.append(f'<rect x="10" y="{y}" width="420" height="{height}" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="{2 if row["bad_write"] or frame_slot else 1}"/>')
        parts.append(f'<text x="16" y="{y + 15}">{escape(row["address"])}  '
                     f'{escape(row["value"])}</text>')
        parts.append(f'<text x="440" y="{y + 15}">{escape(row["label"])}</text>')
        if row["bad_write"]:
            parts.append(f'<text x="560" y="{y + 15}" fill="#c00000">&#8592; faulty write</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _hex(value: int | None) -> str | None:
    return None if value is None else f"{value:#x}"
