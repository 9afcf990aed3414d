"""Trials of int3 path states: a state's helpers and entry gap built and run against a few scenarios.

The code under test is the state's own: its int3_emulate_* functions (read with the header model
and emitted back as C) and its entry-gap block placed in the toolkit's int3 harness, or its kernel
entry pieces (the x86_32 FIXUP_FRAME and IRET_FRAME, the FRED kernel entry) in a harness laid out
as the kernel's entry, with the generated helpers (toolkit/checks/entry_trial.toml). The table is
small on purpose (toolkit/checks/trial.toml) so that `toolkit check` stays fast; states that are
the same in every part that runs are tried once, and a state that passed is remembered in the
cache (failures are not: their evidence is wanted each time). The code may come from a mail, so
every build is bounded (`bound`): code that hits a limit is not built again in this check, in any
state that has it, and the trials stop when the time given to the whole check runs out.
"""

from __future__ import annotations

import functools
import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit import entryblocks, lazy
from toolkit.errors import ToolchainError, ToolkitError
from toolkit.states.refusals import unbuildable
from toolkit.x86 import (
    ALTERNATIVE_C,
    ENTRY_32,
    ENTRY_BESIDE,
    FIXUP_MACROS,
    TEXT_PATCHING_H,
)

if TYPE_CHECKING:
    from toolkit.states.int3path import Int3Path, Int3Paths

# The reference code (and the header model under it) is read only when a state is tried; and
# building and running code only for a state no earlier run saw pass: a warm check, or one of
# a patch the model does not cover, loads none of it.
reference = lazy.module("toolkit.states.reference")
cache = lazy.module("toolkit.cache")
runner = lazy.module("toolkit.validate.runner")
scenarios = lazy.module("toolkit.validate.scenarios")
code_under_test = lazy.module("toolkit.validate.code")
kernelentry = lazy.module("toolkit.validate.kernelentry")
patching = lazy.module("toolkit.validate.patching")
alternative = lazy.module("toolkit.validate.alternative")
cheader = lazy.module("toolkit.cmodel.header")

_HELPER_NAME = re.compile(r"\bint3_emulate_(\w+)\b")


@dataclass(frozen=True, slots=True)
class TrialResult:
    """What running a state showed: `failed` are the outcomes that went wrong (scenarios.Outcome),
    `error` why the state's code could not be built or run, `limit` the limits its build hit and
    the tool's last words ("512 MiB / 10 s: cc1: out of memory ..."), `budget` why it was not
    tried at all (the check's time ran out)."""

    failed: tuple[Any, ...] = ()
    error: str | None = None
    limit: str | None = None
    budget: str | None = None
    #: the error is a compiler, assembler or linker this machine lacks: nothing could be tried
    toolchain: bool = False


@dataclass(slots=True)
class Trials:
    """The trials of one check: how far each build may go (`limits`: a
    toolkit.emulate.limits.Limits, None for the builder's defaults), the seconds given to the
    whole check (`budget`) and when they are over (`deadline`, time.monotonic(), the same clock in
    every process), and what was tried. One object holds it all and is picklable, so that it
    reaches every worker of an archive whatever the start method (fork, forkserver, spawn):
    settings in a module global are lost in a worker that did not fork after they were set."""

    limits: Any = None
    budget: float | None = None
    deadline: float | None = None
    #: each distinct state (and the limits) tried, with its result
    tried: dict[tuple, TrialResult] = field(default_factory=dict)
    #: the code that hit a limit, as the texts of the blocks under trial, with the limits and what
    #: the tool said: a state that has all of those blocks would hit it again, and is not built
    hit: list[tuple[frozenset[str], str, str]] = field(default_factory=list)
    prefetched: list = field(default_factory=list)

    @classmethod
    def bounded(cls, limits: Any = None, budget: float | None = None) -> "Trials":
        """Trials within `limits` (None: the defaults) that try nothing after `budget` seconds
        from now (None: no end)."""
        return cls(limits, budget, None if budget is None else time.monotonic() + budget)

    @property
    def key(self) -> tuple:
        """What tells the settings of two Trials apart (not what they tried)."""
        return (str(self.limits), self.budget, self.deadline)


@functools.cache
def unbounded() -> Trials:
    """The trials of a library caller that gives none (no budget, the default limits), shared by
    its checks in this process so that a state is tried once."""
    return Trials()


def gap_alone(trials: Trials, state: Int3Path) -> TrialResult:
    """The state's gap block with the reference helpers: does the entry leave room and keep the
    frame intact? (An empty result when the state has no gap.)"""
    if state.gap is None:
        return TrialResult()
    helpers, macros, _ = reference.blocks()
    return _tried(trials, replace(state, helpers=helpers, macros=macros), (state.gap,))


def helpers_alone(trials: Trials, state: Int3Path) -> TrialResult:
    """The state's helpers in the reference entry: do they do what the real instructions do?"""
    _, reference_macros, gap = reference.blocks()
    names = {m.name for m in state.macros}
    macros = state.macros + tuple(m for m in reference_macros if m.name not in names)
    return _tried(trials, replace(state, gap=gap, macros=macros), (*state.helpers, *state.macros))


def entry_alone(trials: Trials, state: Int3Path, path: str) -> TrialResult:
    """The state's own entry pieces of `path` (entry_32.S: FIXUP_FRAME and IRET_FRAME;
    entry_64_fred.S: the FRED kernel entry) in the harness laid out as the kernel's entry, with
    the generated helpers: does the entry leave room below the interrupted stack and hand back
    the frame intact, from ring 0 at each alignment, near the stack's end and from ring 3? An
    empty result when the state does not have the pieces."""
    pieces = tuple(b for b in state.entries if b.path == path)
    if not pieces:
        return TrialResult()
    if unbuildable(b for b in state.entries if b.path in (path, *ENTRY_BESIDE.get(path, ()))):
        return TrialResult()        # not built; REFUSED_INPUT says why
    text = "".join(str(b) for b in pieces)
    label = f"the {'x86_32' if path == ENTRY_32 else 'FRED'} entry after patch {state.index}"
    try:
        if path == ENTRY_32:
            missing = set(FIXUP_MACROS) - {b.name for b in pieces}
            if missing:
                return TrialResult(error=f"the state has no {' or '.join(sorted(missing))}")
            # the order of SAVE_ALL's pushes, where the state has the whole file (a tree)
            whole = state.file(ENTRY_32)
            first = entryblocks.fs_before_fixup(whole.splitlines(True)) if whole else True
            arch, delivery, piece = "x86_32", "idt", kernelentry.fixup_text(text, label, first)
        else:
            besides = _besides(state, path)
            if besides is None:
                return TrialResult(error="it is built with calling.h's register macros, which "
                                         "only a tree has; check with --tree to run it")
            arch, delivery, piece = "x86_64", "fred", kernelentry.fred_text(text, besides)
    except (kernelentry.NotInTree, ToolkitError) as error:
        return TrialResult(error=str(error))
    layout = str(piece.fs_before_fixup)
    key = (arch, delivery, piece.text, layout, str(trials.limits))
    return _once(trials, key, {text}, pieces, lambda: _judge(
        lambda: code_under_test.kernel_entry_code(label, arch, delivery, piece),
        entry_table(), _marker(arch, delivery, piece.text, layout), trials))


def patching_alone(trials: Trials, state: Int3Path) -> TrialResult:
    """The int3 batch and handler of the state's alternative.c, with the helpers of its
    text-patching.h, run on the patching table (toolkit/validate/tables/patching/): does every
    sequence keep each site an old, a new or a claimed instruction at every step? Only a tree
    has the whole files; without them the result is an error saying so."""
    text, header = state.file(ALTERNATIVE_C), state.file(TEXT_PATCHING_H)
    if text is None or header is None:
        return TrialResult(error="only a tree has the whole of alternative.c and "
                                 "text-patching.h; check with --tree to run it")
    try:
        batch = alternative.find_batch(text)
    except alternative.NoBatch as missing:
        return TrialResult(error=str(missing))
    passed = _marker("patching", batch.text, header)

    def judge() -> TrialResult:
        if cache.touch(passed):
            return TrialResult()
        if trials.deadline is not None and time.monotonic() >= trials.deadline:
            return TrialResult(budget=_spent(trials))
        try:
            outcomes = patching.run_texts(text, cheader.parse_header(header, TEXT_PATCHING_H),
                                          reference.texts()["prelude"], deadline=trials.deadline,
                                          **_limits(trials))
        except runner.BudgetSpent:
            return TrialResult(budget=_spent(trials))
        except runner.LimitHit as hit:
            return TrialResult(limit=f"{hit.within}: {hit.last_words}")
        except ToolkitError as error:
            return TrialResult(error=str(error))
        bad = tuple(o for o in outcomes if o.status is scenarios.Status.FAILED)
        errors = [o.reason for o in outcomes if o.status is scenarios.Status.ERROR]
        if not bad and not errors:
            cache.write_atomic(passed, b"")
        return TrialResult(failed=bad, error=errors[0] if errors else None)

    return _once(trials, ("patching", batch.text, header, str(trials.limits)), {batch.text}, (),
                 judge)


def _besides(state: Int3Path, path: str) -> dict[str, str] | None:
    """The files the state's `path` includes from its own folder (calling.h), as the state has
    them; None when the state has no whole files (no tree)."""
    whole = state.file(path)
    if whole is None:
        return None
    folder = path.rsplit("/", 1)[0]
    names = (f"{folder}/{name}" for name in kernelentry.beside_includes(whole, path))
    return {name: text for name in names if (text := state.file(name)) is not None}


@functools.cache
def table() -> list:
    return scenarios.load_table(Path(__file__).with_name("trial.toml"))


@functools.cache
def entry_table() -> list:
    return scenarios.load_table(Path(__file__).with_name("entry_trial.toml"))


def runnable(state: Int3Path) -> tuple[str, ...]:
    """The helpers of `state` that can be built: those whose callees the state also has."""
    names = {b.name for b in state.helpers}
    return tuple(b.name.removeprefix("int3_emulate_") for b in state.helpers
                 if {f"int3_emulate_{n}" for n in _HELPER_NAME.findall(str(b))} <= names)


def run(trials: Trials, state: Int3Path) -> TrialResult:
    """Try `state` on x86_64 (the architecture of the entry gap), once per distinct state."""
    return _tried(trials, state,
                  (*state.helpers, *state.macros, *((state.gap,) if state.gap else ())))


def _tried(trials: Trials, state: Int3Path, suspects: tuple) -> TrialResult:
    """`state` tried once per distinct state and limits; `suspects` are its blocks that are not
    the reference's, to blame when its build hits a limit."""
    texts = {str(b) for b in (*state.helpers, *state.macros, *((state.gap,) if state.gap else ()))}
    return _once(trials, (state.key, str(trials.limits)), texts, suspects,
                 lambda: _run(state, trials))


def _once(trials: Trials, key: tuple, texts: set[str], suspects: tuple, run) -> TrialResult:
    """`run()` once per `key` (ending in the limits), unless code of the blocks `texts` hit a
    limit already. A trial the budget left undone is done again if asked when there is time (a
    test may give more)."""
    if key not in trials.tried:
        hit = next((said for blocks, limits, said in trials.hit
                    if limits == key[-1] and blocks <= texts), None)
        result = TrialResult(limit=hit) if hit else run()
        if result.budget:
            return result
        if result.limit and not hit:
            trials.hit.append((frozenset(str(b) for b in suspects), key[-1], result.limit))
        trials.tried[key] = result
    return trials.tried[key]


def prefetch(trials: Trials, paths: Int3Paths) -> None:
    """Build, all at once, the code of every state of `paths` that the rules will try: a build
    is three tool runs and most of a cold check, and two cores build two states at a time. The
    trials then find the images in the build cache; what fails to build is left for them to
    report."""
    if paths in trials.prefetched:
        return
    trials.prefetched.append(paths)
    helpers, macros, gap = reference.blocks()
    codes = {}
    for state in paths.paths:
        names = {m.name for m in state.macros}
        tried = [state] if state.users else []
        if any(b.changed_by == state.index for b in (*state.helpers, *state.macros)):
            tried.append(replace(state, gap=gap, macros=state.macros + tuple(
                m for m in macros if m.name not in names)))
        if state.gap is not None and state.gap.changed_by == state.index:
            tried.append(replace(state, helpers=helpers, macros=macros))
        for variant in tried:
            code = _code(trials, variant)
            if code is not None:
                codes.setdefault(code.header + code.entry, code)
    if len(codes) > 1:
        # looked up here: a module bound lazily must not be loaded by two threads at once
        prebuild, limits = runner.prebuild, _limits(trials)
        import concurrent.futures  # threads only when states are built cold

        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            list(pool.map(lambda code: prebuild(code, **limits), codes.values()))



def _code(trials: Trials, state: Int3Path):
    """The code under test of `state`, or None when it is not to be built: refused input, no
    helper that stores below regs->sp, tried already, passed before, or out of time."""
    if (state.key, str(trials.limits)) in trials.tried:
        return None
    if unbuildable((*state.helpers, *state.macros, *((state.gap,) if state.gap else ()))):
        return None
    helpers = runnable(state)
    if "push" not in helpers and "call" not in helpers:
        return None
    if _passed_marker(state, helpers).exists():
        return None
    if trials.deadline is not None and time.monotonic() >= trials.deadline:
        return None
    texts = reference.texts()
    try:
        return code_under_test.state_code(
            f"the state after patch {state.index}", texts["prelude"], texts["harness trap_bp"],
            "".join(f"{m}" for m in state.macros), "\n".join(str(b) for b in state.helpers),
            str(state.gap) if state.gap else "", helpers)
    except ToolkitError:
        return None


def _limits(trials: Trials) -> dict:
    return {} if trials.limits is None else {"limits": trials.limits}


def _run(state: Int3Path, trials: Trials) -> TrialResult:
    if unbuildable((*state.helpers, *state.macros, *((state.gap,) if state.gap else ()))):
        return TrialResult()        # not built; REFUSED_INPUT says why
    helpers = runnable(state)
    if "push" not in helpers and "call" not in helpers:
        return TrialResult()        # nothing stores below regs->sp: the entry's room is not used
    texts = reference.texts()
    return _judge(lambda: code_under_test.state_code(
        f"the state after patch {state.index}", texts["prelude"], texts["harness trap_bp"],
        "".join(f"{m}" for m in state.macros), "\n".join(str(b) for b in state.helpers),
        str(state.gap) if state.gap else "", helpers), table(), _passed_marker(state, helpers),
        trials)


def _judge(make_code, rows: list, passed: Path, trials: Trials) -> TrialResult:
    """The code `make_code()` gives run against `rows`, unless it passed before (`passed` marks
    that) or the time is out; a pass is marked."""
    if cache.touch(passed):
        return TrialResult()
    if trials.deadline is not None and time.monotonic() >= trials.deadline:
        return TrialResult(budget=_spent(trials))
    try:
        outcomes = runner.validate(make_code(), rows, deadline=trials.deadline, **_limits(trials))
    except ToolkitError as error:
        return TrialResult(error=str(error), toolchain=isinstance(error, ToolchainError))
    bad = tuple(o for o in outcomes if o.status is scenarios.Status.FAILED)
    errors = [o for o in outcomes if o.status is scenarios.Status.ERROR]
    if errors:
        cause = errors[0].error
        if isinstance(cause, runner.BudgetSpent):
            return TrialResult(budget=_spent(trials))
        if isinstance(cause, runner.LimitHit):
            return TrialResult(limit=f"{cause.within}: {cause.last_words}")
        return TrialResult(failed=bad, error=errors[0].reason)
    if not bad:
        cache.write_atomic(passed, b"")
    return TrialResult(failed=bad)


def _spent(trials: Trials) -> str:
    return f"the {trials.budget:g} s given to the check ran out (--budget)"


def _passed_marker(state: Int3Path, helpers: tuple[str, ...]) -> Path:
    """Where a passed trial of this state's code is remembered: named by the blocks and by the
    toolkit (whose digest covers the reference code, the table and everything that builds and
    runs it), so that a change to any of them runs the trial again."""
    return _marker(repr(state.key), ",".join(helpers))


def _marker(*texts: str) -> Path:
    import hashlib  # only a trial that runs marks its pass

    digest = hashlib.sha256(cache.package_digest().encode())
    for text in texts:
        digest.update(text.encode() + b"\0")
    return cache.folder("trials") / f"{digest.hexdigest()[:32]}.passed"
