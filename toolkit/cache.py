"""Where the toolkit keeps, per user, what it works out once: builds, reference texts, passed trials."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping


def folder(kind: str, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for one kind of kept result, under $XDG_CACHE_HOME/toolkit (~/.cache/toolkit)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toolkit" / kind
