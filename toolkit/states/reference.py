"""The toolkit's generated reference code of the int3 path: its texts, blocks and names, shipped made.

Review without a tree lays a series over this code, and the trials run a state's blocks in its
harness. Rendering it means loading jinja2 and compiling every template, and parsing it is a third
of a whole check's work; both depend only on the toolkit itself. So the package ships them made,
in reference.json beside this module, and a first check on a fresh machine pays for neither;
the test suite makes them again and fails when the shipped file differs (`make reference`
writes it anew).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from toolkit import lazy
from toolkit.cmodel import preprocessor as cpre
from toolkit.states.blocks import Block, code_words, entry_blocks, gap_block, header_blocks
from toolkit.x86 import ENTRY_32, ENTRY_64, STYLES, TEXT_PATCHING_H

# The code generator is loaded only to make the shipped file anew.
render = lazy.module("toolkit.codegen.render")
target = lazy.module("toolkit.codegen.target")

# Names of the kernel's int3 path that the reference model stands in for without generating
# them (entry_32.S's frame macros, FRED's red zone, the text-poking machinery around the helpers).
_KERNEL_NAMES = frozenset((
    "FIXUP_FRAME", "IRET_FRAME", "CS_FROM_KERNEL", "FRED_CONFIG_REDZONE", "CONFIG_X86_FRED",
    "CONFIG_X86_64", "CONFIG_X86_32", "CONFIG_UML_X86", "text_poke_bp", "poke_int3_handler",
    "int3_selftest", "pt_regs", "idtentry", "X86_TRAP_BP"))


def texts() -> dict[str, str]:
    """header, gap (the kernel gap block), prelude, entry/harness per macro style, and fixup
    (x86_32 FIXUP_FRAME and IRET_FRAME in the kernel's layout)."""
    return _shipped()["texts"]


@functools.cache
def blocks() -> tuple[tuple[Block, ...], tuple[Block, ...], Block]:
    """The helpers, macros and x86_64 gap block of the reference code."""
    helpers, macros, gap = _shipped()["blocks"]
    return (tuple(_block(b) for b in helpers), tuple(_block(b) for b in macros), _block(gap))


@functools.cache
def entries() -> tuple[Block, ...]:
    """The kernel entry pieces the reference has: the x86_32 FIXUP_FRAME and IRET_FRAME generated
    in the kernel's layout (with the default gap). It has no FRED entry in that layout: the
    kernel's is built from calling.h's register macros, which only a tree has."""
    return tuple(_block(b) for b in _shipped()["entries"])


def made() -> dict:
    """The reference texts and blocks as the code makes them now (what reference.json holds)."""
    texts = _render()
    return {"texts": texts, "blocks": _blocks(texts),
            "entries": [_plain(b) for b in entry_blocks(cpre.numbered(texts["fixup"]), ENTRY_32,
                                                        0)]}


def write_shipped() -> Path:
    """Make reference.json anew in the source tree, after a change to the templates, the code
    generator or the parser."""
    path = _SHIPPED
    path.write_text(json.dumps(made(), indent=1, sort_keys=True) + "\n")
    return path


_SHIPPED = Path(str(resources.files("toolkit.states"))) / "reference.json"


@functools.cache
def _shipped() -> dict:
    return json.loads(_SHIPPED.read_text())


def words() -> frozenset[str]:
    """The identifiers the reference code has (and the kernel names it stands in for)."""
    found = texts()
    return _KERNEL_NAMES | code_words(found["header"] + found["prelude"] + found["entry trap_bp"])


def _render() -> dict[str, str]:
    default = target.Target()
    out = {"header": render.render_header(default), "gap": render.render_gap_block(default),
           "prelude": render.render_prelude(default),
           "fixup": render.render_kernel_fixup(target.Target(arch="x86_32"))}
    for style in STYLES["x86_64"]:
        styled = target.Target(style=style)
        out[f"entry {style}"] = render.render_entry(styled)
        out[f"harness {style}"] = render.render_harness(styled)
    return out


def _blocks(found: dict[str, str]) -> list:
    helpers, macros = header_blocks(cpre.numbered(found["header"]), TEXT_PATCHING_H, 0)
    gap = gap_block(cpre.numbered(found["gap"]), ENTRY_64, 0)
    return [[_plain(b) for b in helpers], [_plain(b) for b in macros], _plain(gap)]


def _plain(block: Block) -> dict:
    return {"name": block.name, "path": block.path, "lines": block.lines,
            "changed_by": block.changed_by, "style": block.style}


def _block(plain: dict) -> Block:
    return Block(**{**plain, "lines": tuple((n, text) for n, text in plain["lines"])})
