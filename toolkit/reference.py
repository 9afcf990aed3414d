"""The toolkit's generated reference code of the int3 path, as text, kept in the cache directory.

Review without a tree lays a series over this code, and the trials run a state's blocks in its
harness. Rendering it means loading jinja2 and compiling every template, which would cost more
than the review itself; the texts depend only on the templates and the modules that compute
their values, so they are rendered once per version of those and read back from then on.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from toolkit.cache import folder

_TOOLKIT = Path(__file__).resolve().parent
# What the rendered texts depend on: the templates and the code that fills them in.
_SOURCES = ("codegen.py", "target.py", "ptregs.py")


@functools.cache
def texts() -> dict[str, str]:
    """header, gap (the kernel gap block), prelude, and entry/harness per macro style."""
    return kept("texts", (), _render)


def kept(name: str, readers: tuple[str, ...], make: Callable[[], Any]) -> Any:
    """What `make()` derives from the reference texts (JSON-able), computed once per version of
    the texts and of the toolkit modules `readers` that derive it, then read back."""
    cached = folder("reference") / f"{name}-{_version(readers)}.json"
    try:
        return json.loads(cached.read_text())
    except (OSError, ValueError):
        pass
    made = make()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(made))
        os.replace(partial, cached)
    except OSError:
        pass            # a read-only cache costs time, not correctness
    return made


def _render() -> dict[str, str]:
    from toolkit import codegen
    from toolkit.target import STYLES, Target

    target = Target()
    out = {"header": codegen.render_header(target), "gap": codegen.render_gap_block(target),
           "prelude": codegen.render_prelude(target)}
    for style in STYLES["x86_64"]:
        styled = Target(style=style)
        out[f"entry {style}"] = codegen.render_entry(styled)
        out[f"harness {style}"] = codegen.render_harness(styled)
    return out


def _version(readers: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    templates = sorted((_TOOLKIT.parent / "templates").glob("*.j2"))
    for path in (*templates, *(_TOOLKIT / name for name in (*_SOURCES, *readers))):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]
