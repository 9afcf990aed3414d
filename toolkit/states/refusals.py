"""What the toolkit will not take from a patch: paths that leave the tree, files read in from outside it.

Code from a mail is hostile until built within limits: a diff may only touch files below the top
of the tree, and the code under test is built from the toolkit's own files and the state's blocks
alone, so a block that would read in another file is not built. Every such refusal is decided
here and becomes a REFUSED_INPUT finding on the patch that brought it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from toolkit.series.diff import FileDiff
from toolkit.x86 import INCLUDE_PATH

# `#include "../calling.h"`, `.incbin "/etc/hostname"`, `#include <asm/x.h>`: the directive and
# the file it reads in.
_INCLUDE = re.compile(r'\s*(#\s*include|\.include|\.incbin)\s*(?:"([^"]*)"|<([^>]*)>)')
# `.include "x"`, `.incbin "x"`, `#include <x>`: text of a file the build would read in.
_INCLUDES = re.compile(r"^\s*(?:\.include|\.incbin|#\s*include)\b", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Input the state would not take from a patch (a path out of the tree, an include of a file
    outside it), and why; each becomes a finding on `patch`."""

    patch: int
    message: str
    at: int | None


def path_refusal(diff: FileDiff) -> str | None:
    """Why a file of a diff must not be touched (its path leaves the tree), or None."""
    for path in filter(None, (diff.old_path, diff.new_path)):
        if path.startswith("/") or ".." in path.split("/"):
            return f"refused to apply {path}: the path leaves the tree"
    return None


def include_refusal(path: str, text: str) -> str | None:
    """Why the include on line `text` of the tree file `path` must not be read (the file it names
    is outside the tree), or None. A "quoted" name is taken from the folder of `path` (so
    `"../calling.h"` in arch/x86/entry/vdso/ is arch/x86/entry/calling.h), a <bracketed> one from
    every folder of the x86 include path; an absolute name, or one whose `..` climb above the top
    of the tree from any of those folders, is outside."""
    match = _INCLUDE.match(text)
    if match is None:
        return None
    directive, quoted, bracketed = match.groups()
    name = quoted if quoted is not None else bracketed
    folders = (posixpath.dirname(path),) if quoted is not None else INCLUDE_PATH
    if name.startswith("/") or any(_climbs_out(posixpath.join(f, name)) for f in folders):
        return f"refused: {directive} of {name}, which is outside the tree"
    return None


def _climbs_out(path: str) -> bool:
    normal = posixpath.normpath(path)
    return normal == ".." or normal.startswith(("../", "/"))


def unbuildable(blocks) -> list[tuple[object, int]]:
    """The blocks and lines that stop a state's code from being built: includes, which would
    read in files the toolkit does not supply."""
    return [(block, number) for block in blocks for number, text in block.lines
            if _INCLUDES.match(text)]
