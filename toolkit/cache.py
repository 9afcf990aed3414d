"""What the toolkit works out once and keeps per user: builds and passed trials.

Everything kept is named by what it was made from. The toolkit's own part of every name is one
digest of the installed package (its modules, data files and templates), so that any change to the
toolkit makes everything it kept stale at once and moving a file can never break a key. What is
kept is bounded: a use marks an entry as recent, and past `CAP` bytes the least recently used go.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Mapping

# The files of the package that decide what the toolkit computes: code, tables, templates.
_PACKAGE_FILES = (".py", ".toml", ".c", ".txt", ".j2")

# Bytes the whole cache may hold: a hundred times what checking and validating the bundled series
# and the generated code keep (builds of 14 KiB, memos of a few KiB each), and small enough that
# nobody has to clean up after the toolkit. Trimming goes down to three quarters, so that a run
# which adds a few entries does not walk the folder on every write.
CAP = 64 << 20


def folder(kind: str, environ: Mapping[str, str] | None = None) -> Path:
    """The folder for one kind of kept result, under $XDG_CACHE_HOME/toolkit (~/.cache/toolkit)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toolkit" / kind


def touch(path: Path) -> bool:
    """Whether `path` is kept, marking it as just used (its modification time is the clock the
    trimming goes by: access times are not kept on most mounts). One system call, as `exists()`."""
    try:
        os.utime(path)
        return True
    except OSError:
        return False


def trim(top: Path | None = None, cap: int = CAP) -> None:
    """Remove the least recently used files under `top` (the whole cache) while they hold more
    than `cap` bytes, down to three quarters of it. Files half-written by a running process are
    left alone; what cannot be removed costs space, not correctness."""
    top = top if top is not None else folder("build").parent
    entries, total = [], 0
    for directory, _, names in os.walk(top):
        for name in names:
            if name.endswith(".tmp"):
                continue
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                info = os.stat(path)
                entries.append((info.st_mtime_ns, info.st_size, path))
                total += info.st_size
    if total <= cap:
        return
    for _, size, path in sorted(entries):
        if total <= cap * 3 // 4:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size


@functools.cache
def package_digest() -> str:
    """A digest of every file of the installed toolkit that its results depend on."""
    import hashlib  # a run that keeps nothing never hashes

    digest = hashlib.sha256()
    top = _top()
    for name in package_files():
        digest.update(name.encode() + b"\0" + (top / name).read_bytes() + b"\0")
    return digest.hexdigest()


def package_files() -> list[str]:
    """The files `package_digest` covers, relative to the package."""
    top = _top()
    return sorted(p.relative_to(top).as_posix() for p in top.rglob("*")
                  if p.suffix in _PACKAGE_FILES and "__pycache__" not in p.parts)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` through a rename, so that a run killed half-way never leaves a
    truncated entry; False when the cache cannot be written (which costs time, not correctness)."""
    partial = path.with_suffix(f"{path.suffix}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return False


def _top() -> Path:
    """The folder of the installed package."""
    return Path(__file__).resolve().parent
