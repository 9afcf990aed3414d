"""Following a header's #includes through a kernel source tree, as kbuild finds them for x86: the
`#define`s of every header reached, so that the including text's macros get their values."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from typing import Iterable

from toolkit.cmodel.constexpr import evaluate
from toolkit.cmodel.preprocessor import Include, Macro, directives_of
from toolkit.errors import InputError, ParseError
from toolkit.x86 import INCLUDE_PATH

#: How many #includes deep following goes. Depth first, as the preprocessor reads them, all of
#: text-patching.h's includes lie within 16 of it in v6.1 and v6.12; the bound only stops a
#: pathological tree.
INCLUDE_DEPTH = 20


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An #include in the file `path` (tree-relative, unless it is the followed header outside
    the tree) that following did not take, and why."""

    include: Include
    path: str
    why: str


@dataclass(frozen=True, slots=True)
class Followed:
    """What following a header's #includes through `tree` read: the tree-relative `files` in the
    order the preprocessor first includes them, their `macros` in that order (each knows its file
    and line), and the includes it could not take."""

    tree: str
    files: tuple[str, ...]
    macros: tuple[Macro, ...]
    unresolved: tuple[Unresolved, ...]


def follow(includes: Iterable[Include], tree: str, path: str,
           known: Iterable[Macro] = ()) -> Followed:
    """Follow `includes`, those of the file `path`, through the kernel source `tree`, reading only
    the `#define`s of each header reached (once, as an include guard would have it).

    Macro values are worked out over everything reached: the `known` macros (the including
    text's own) first, then the first definition of each name in include order.
    """
    if not os.path.isdir(tree):
        raise InputError("no kernel tree here (not a directory)", path=tree)
    root = os.path.realpath(tree)
    inside = os.path.relpath(os.path.realpath(path), root)
    reader = _Follower(root, path)
    reader.visit(tuple(includes), None if inside.startswith("..") else inside, 1)
    late = tuple(u for found, u in reader.too_deep if found not in reader.seen)
    macros = _evaluated(tuple(reader.macros), first=tuple(known))
    return Followed(tree, tuple(reader.files), macros, tuple(reader.unresolved) + late)


def with_values(macros: Iterable[Macro], followed: Followed) -> tuple[Macro, ...]:
    """`macros` with the values their bodies have once the followed headers' macros are known."""
    return _evaluated(tuple(macros), after=followed.macros)


def _evaluated(macros: tuple[Macro, ...], first: tuple[Macro, ...] = (),
               after: tuple[Macro, ...] = ()) -> tuple[Macro, ...]:
    """`macros` with values from the first body of each name in `first`, `macros`, `after`."""
    bodies: dict[str, str] = {}
    for macro in (*first, *macros, *after):
        if macro.params is None:
            bodies.setdefault(macro.name, macro.body)
    values: dict[str, int | None] = {}
    return tuple(replace(m, value=evaluate(m.body, bodies, values)) if m.params is None else m
                 for m in macros)


class _Follower:
    """A depth-first walk over the includes, the preprocessor's order."""

    def __init__(self, root: str, header: str) -> None:
        self.root = root
        self.header = header
        self.seen: set[str] = set()
        self.files: list[str] = []
        self.macros: list[Macro] = []
        self.unresolved: list[Unresolved] = []
        self.too_deep: list[tuple[str, Unresolved]] = []

    def visit(self, includes: tuple[Include, ...], where: str | None, depth: int) -> None:
        """Read what `includes`, those of the tree-relative file `where` (None: the followed
        header, outside the tree), bring in, `depth` levels below the followed header."""
        holder = where or self.header
        for include in includes:
            found = self._resolve(include, where)
            if found is None:
                self.unresolved.append(Unresolved(include, holder,
                                                  "not on the tree's x86 include path"))
            elif found in self.seen:
                continue
            elif depth > INCLUDE_DEPTH:
                self.too_deep.append((found, Unresolved(
                    include, holder, f"deeper than {INCLUDE_DEPTH} levels of #include")))
            else:
                self.seen.add(found)
                try:
                    macros, nested = _definitions(os.path.join(self.root, found), found)
                except (OSError, UnicodeDecodeError, ParseError) as error:
                    self.unresolved.append(Unresolved(include, holder,
                                                      f"{found} cannot be read: {error}"))
                    continue
                self.files.append(found)
                self.macros.extend(macros)
                self.visit(nested, found, depth + 1)

    def _resolve(self, include: Include, where: str | None) -> str | None:
        # "file.h" is looked for beside the including file first, <file.h> only on the path.
        beside = () if include.system or where is None else (os.path.dirname(where),)
        for folder in (*beside, *INCLUDE_PATH):
            candidate = os.path.normpath(os.path.join(folder, include.target))
            if not candidate.startswith("..") and not os.path.isabs(candidate) \
                    and os.path.isfile(os.path.join(self.root, candidate)):
                return candidate
        return None


def _definitions(file: str, path: str) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    status = os.stat(file)
    return _cached_definitions(file, path, status.st_mtime_ns, status.st_size)


# Per file and version of it: one model of a tree reads the same few hundred headers as the last.
@functools.lru_cache(maxsize=4096)
def _cached_definitions(file: str, path: str, _mtime: int,
                        _size: int) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    with open(file, encoding="utf-8", errors="surrogateescape") as stream:
        text = stream.read()
    return directives_of(text, path)
