"""Trials of tree states: a state's helpers and entry gap built and run against a few scenarios.

The code under test is the state's own: its int3_emulate_* functions (read with the header model
and emitted back as C) and its entry-gap block placed in the toolkit's int3 harness. The table is
small on purpose (toolkit/data/trial.toml) so that `toolkit check` stays fast; states that are
the same in every part that runs are tried once.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from toolkit import cache
from toolkit.errors import ToolkitError
from toolkit.states import Block, TreeState

# `.include "x"`, `.incbin "x"`, `#include <x>`: text of a file the build would read in.
_INCLUDES = re.compile(r"^\s*(?:\.include|\.incbin|#\s*include)\b", re.MULTILINE)
_HELPER_NAME = re.compile(r"\bint3_emulate_(\w+)\b")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What running a state showed: `failed` are the outcomes that went wrong (scenarios.Outcome),
    `error` why the state's code could not be built or run."""

    failed: tuple[Any, ...] = ()
    error: str | None = None


_TRIED: dict[tuple, Verdict] = {}


def gap_alone(state: TreeState) -> Verdict:
    """The state's gap block with the reference helpers: does the entry leave room and keep the
    frame intact? (An empty verdict when the state has no gap.)"""
    from toolkit.states import reference_blocks

    if state.gap is None:
        return Verdict()
    helpers, macros, _ = reference_blocks()
    return run(replace(state, helpers=helpers, macros=macros))


def helpers_alone(state: TreeState) -> Verdict:
    """The state's helpers in the reference entry: do they do what the real instructions do?"""
    from toolkit.states import reference_blocks

    gap = reference_blocks()[2]
    names = {m.name for m in state.macros}
    macros = state.macros + tuple(m for m in reference_blocks()[1] if m.name not in names)
    return run(replace(state, gap=gap, macros=macros))


def table() -> list:
    from toolkit import scenarios

    return scenarios.load_table(Path(str(resources.files("toolkit") / "data" / "trial.toml")))


def runnable(state: TreeState) -> tuple[str, ...]:
    """The helpers of `state` that can be built: those whose callees the state also has."""
    names = {b.name for b in state.helpers}
    return tuple(b.name.removeprefix("int3_emulate_") for b in state.helpers
                 if {f"int3_emulate_{n}" for n in _HELPER_NAME.findall(str(b))} <= names)


def run(state: TreeState) -> Verdict:
    """Try `state` on x86_64 (the architecture of the entry gap), once per distinct state."""
    if state.key not in _TRIED:
        _TRIED[state.key] = _run(state)
    return _TRIED[state.key]


def _run(state: TreeState) -> Verdict:
    from toolkit import reference

    if refusals(state):
        return Verdict()        # not built; REFUSED_INPUT says why
    helpers = runnable(state)
    if "push" not in helpers and "call" not in helpers:
        return Verdict()        # nothing stores below regs->sp: the entry's room is not used
    passed = _passed_marker(state, helpers)
    if passed.exists():
        return Verdict()
    from toolkit import validation
    from toolkit.codeundertest import Code
    from toolkit.scenarios import Status

    try:
        code = Code(f"state after patch {state.index}", "x86_64", "idt",
                    reference.texts()["prelude"], _header(state, helpers), _entry(state), helpers)
        outcomes = validation.validate(code, table())
    except ToolkitError as error:
        return Verdict(error=str(error))
    bad = tuple(o for o in outcomes if o.status is Status.FAILED)
    errors = [o.reason for o in outcomes if o.status is Status.ERROR]
    if errors:
        return Verdict(failed=bad, error=errors[0])
    if not bad:
        try:
            passed.parent.mkdir(parents=True, exist_ok=True)
            passed.touch()
        except OSError:
            pass        # a read-only cache costs time, not correctness
    return Verdict(failed=bad)


def _passed_marker(state: TreeState, helpers: tuple[str, ...]) -> Path:
    """Where a passed trial of this state's code is remembered: named by the blocks, the
    reference code, the table and the sources of the modules that emit, build and run it, so
    that a change to any of them runs the trial again. Failures are not remembered; their
    evidence is wanted each time."""
    digest = hashlib.sha256(_toolkit_digest().encode())
    for text in (repr(state.key), ",".join(helpers)):
        digest.update(text.encode() + b"\0")
    return cache.folder("trials") / f"{digest.hexdigest()[:32]}.passed"


@functools.cache
def _toolkit_digest() -> str:
    """The part of every trial's name that is the same for all states of one run."""
    from toolkit import reference

    digest = hashlib.sha256()
    data = resources.files("toolkit") / "data"
    modules = [Path(__file__).parent / f"{name}.py" for name in
               ("trial", "cheader", "cpre", "cexpr", "gapblock", "scenarios", "codeundertest",
                "validation", "emulate", "machinelayout", "build", "evidence")]
    for text in (*reference.texts().values(), (data / "trial.toml").read_text(),
                 (data / "handlers" / "scenario.c").read_text(),
                 *(path.read_text() for path in modules)):
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()


def refusals(state: TreeState) -> list[tuple[Block, int]]:
    """The blocks and lines that stop the state's code from being built: includes, which would
    read in files the toolkit does not supply."""
    return [(block, number)
            for block in (*state.helpers, *state.macros, *((state.gap,) if state.gap else ()))
            for number, text in block.lines if _INCLUDES.match(text)]


def _header(state: TreeState, helpers: tuple[str, ...]) -> str:
    from toolkit import cheader

    text = "".join(f"{m}" for m in state.macros) + "\n".join(str(b) for b in state.helpers)
    model = cheader.parse_header(text, "text-patching.h")
    return cheader.translation_unit(model, [f"int3_emulate_{h}" for h in helpers])


def _entry(state: TreeState) -> str:
    """The harness with the state's gap block in place of the generated one (none: no gap)."""
    from toolkit import reference
    from toolkit.codeundertest import with_gap

    return with_gap(reference.texts()["harness trap_bp"], str(state.gap) if state.gap else "",
                    f"the state after patch {state.index}")
