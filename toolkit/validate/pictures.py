"""Evidence drawn for people: a scenario's evidence as text, the stack and a patched site's bytes as SVG."""

from __future__ import annotations

from html import escape
from typing import Any

from toolkit.validate.evidence import FRAME_SLOTS, with_trace


def text(data: dict[str, Any]) -> str:
    """The whole evidence of one scenario for a terminal: stop, bad writes, registers, the end of
    the trace and the stack diagram."""
    data = with_trace(data)
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


def site_svg(rows: list[dict[str, Any]], old: bytes, new: bytes, title: str) -> str:
    """A patched site's bytes over the steps as a standalone SVG: one line per step, each byte a
    box coloured by what it is (the old instruction's, the new one's, an int3), the bytes as of
    the last sync beside them, and the last step outlined in red."""
    cell, height, top = 26, 22, 64
    colour = {"old": "#ffffff", "new": "#dcf2dc", "int3": "#fff2b3", "other": "#f4b6b6"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{120 + 2 * cell * 8 + 420}" '
             f'height="{top + height * len(rows) + 20}" font-family="monospace" font-size="12">',
             f'<text x="10" y="22" font-size="14">{escape(title)}</text>',
             f'<text x="70" y="52">bytes now</text>'
             f'<text x="{90 + cell * len(old)}" y="52">after the last sync</text>']
    for i, row in enumerate(rows):
        y = top + i * height
        last = i == len(rows) - 1 and i > 0
        parts.append(f'<text x="10" y="{y + 15}">{row["step"]:>4}</text>')
        for half, data in enumerate((row["now"], row["seen"])):
            for k, byte in enumerate(data):
                kind = ("int3" if byte == 0xCC and k == 0 else "new" if byte == new[k] else
                        "old" if byte == old[k] else "other")
                x = 60 + half * (cell * len(old) + 30) + k * cell
                stroke = "#c00000" if last else "#888888"
                parts.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{height}" '
                             f'fill="{colour[kind]}" stroke="{stroke}"/>')
                parts.append(f'<text x="{x + 5}" y="{y + 15}">{byte:02x}</text>')
        parts.append(f'<text x="{120 + 2 * cell * len(old)}" y="{y + 15}">'
                     f'{escape(row["what"])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
