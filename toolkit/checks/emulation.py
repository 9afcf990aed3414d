"""Rules backed by running a state's code: the entry gap, the helpers, and a handler on the path between.

Each rule builds the int3 path a patch leaves (`toolkit.checks.trial`) and runs it in the emulator
against a few scenarios; a failure carries the run as evidence (scenario, trace, registers, stack).
Code whose build hits a limit is BUILD_LIMIT's, on the patch that changed it; code the check's
time budget left untried gets a note from the rule that would have judged it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from toolkit import lazy
from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Level, Location
from toolkit.series.model import Patch
from toolkit.x86 import ALTERNATIVE_C, ENTRY_32, ENTRY_BESIDE, ENTRY_PIECES, HELPER_OF

# The trials and the blocks load the header model and the builder: only a series that touches
# the model (ctx.run.modelled) needs them.
trial = lazy.module("toolkit.checks.trial")
blocks = lazy.module("toolkit.states.blocks")
pictures = lazy.module("toolkit.validate.pictures")
evidence = lazy.module("toolkit.validate.evidence")
# Read only for a patch to alternative.c.
alternative = lazy.module("toolkit.validate.alternative")


def entry_frame_corrupted(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """The entry code this patch leaves, run with known-good helpers, damages the saved frame:
    the x86_64 gap block, the x86_32 FIXUP_FRAME and IRET_FRAME, or the FRED kernel entry."""
    if not ctx.run.modelled:
        return
    trial.prefetch(ctx.trials, ctx.paths)
    yield from _partial_notes(ctx, patch, lambda name: not name.startswith("int3_"))
    state = ctx.paths.after(patch)
    if state.gap is not None and state.gap.changed_by == patch.index:
        verdict = trial.gap_alone(ctx.trials, state)
        if verdict.error or verdict.budget:
            yield _not_run(ctx, patch, state.gap, verdict)
        for outcome in verdict.failed[:1]:
            yield _block_finding(ctx, patch, state.gap,
                                 f"the entry gap block leaves no safe room "
                                 f"({outcome.scenario.name}): {outcome.reason}",
                                 _evidence(outcome))
    for path, changed in _changed_entries(state, patch):
        verdict = trial.entry_alone(ctx.trials, state, path)
        if verdict.error or verdict.budget:
            yield _not_run(ctx, patch, changed[0], verdict)
        what = "x86_32 entry" if path == ENTRY_32 else "FRED kernel entry"
        for outcome in verdict.failed[:1]:
            yield _block_finding(ctx, patch, changed[0],
                                 f"the {what} ({', '.join(b.name for b in changed)}) does not "
                                 f"keep the frame ({outcome.scenario.name}): {outcome.reason}",
                                 _evidence(outcome))


def int3_patching_broken(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """The int3 batch and handler of alternative.c this patch leaves lose a site on the way: a
    trap the handler does not claim, a torn instruction, a wrong emulation, a BUG or a wait that
    cannot end, in a sequence of the patching table (run only with --tree; a note without)."""
    diffs = [d for d in patch.files if d.path == ALTERNATIVE_C]
    if not diffs:
        return
    state = ctx.paths.after(patch)
    text = state.file(ALTERNATIVE_C)
    try:
        batch = alternative.find_batch(text) if text is not None else None
    except alternative.NoBatch:
        batch = None
    changed = []
    for diff in diffs:
        if batch is not None:
            span = _Span(ALTERNATIVE_C, ((batch.first, ""), (batch.last, "")))
            changed += [(ln, n) for ln, n in blocks.changes_inside(diff, span)]
        else:
            changed += [(ln, ln.new_line) for hunk in diff.hunks if alternative.touches(
                hunk.section, [ln.text for ln in hunk.lines])
                for ln in hunk.lines if ln.kind != " "]
    if not changed:
        return
    line, at = next(((ln, n) for ln, n in changed if ln.kind == "+"), changed[0])
    where = Location(ALTERNATIVE_C, at)
    verdict = trial.patching_alone(ctx.trials, state)
    if verdict.error or verdict.budget or verdict.limit:
        what = (f"was not checked: budget ({verdict.budget})" if verdict.budget else
                f"could not be built within {verdict.limit}" if verdict.limit else
                f"was not run: {verdict.error}")
        finding = ctx.finding(patch, f"the int3 batch of alternative.c {what}", line.at, where,
                              line=line.kind + line.text, unchecked=True)
        yield replace(finding, level=Level.NOTE)
    before = ctx.paths.before(patch)
    inherited = {o.sequence.name for o in trial.patching_alone(ctx.trials, before).failed} \
        if before is not None else set()
    for outcome in [o for o in verdict.failed if o.sequence.name not in inherited][:1]:
        yield ctx.finding(patch, f"the int3 batch of alternative.c breaks patching "
                                 f"({outcome.sequence.name}): {outcome.reason}", line.at, where,
                          line=line.kind + line.text, **outcome.evidence)


@dataclass(frozen=True, slots=True)
class _Span:
    """Lines of a file as a block has them, for changes_inside()."""

    path: str
    lines: tuple


def _changed_entries(state, patch: Patch) -> list[tuple[str, list]]:
    """(file, its entry pieces this patch changed) for each file of x86.ENTRY_PIECES whose entry
    it changed, there or in a macro of a file beside it (x86.ENTRY_BESIDE: calling.h)."""
    found = []
    for path in ENTRY_PIECES:
        mine = (path, *ENTRY_BESIDE.get(path, ()))
        changed = [b for b in state.entries if b.path in mine and b.changed_by == patch.index]
        if changed:
            found.append((path, changed))
    return found


def emulation_mismatch(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """A helper this patch leaves behind disagrees with the real instruction (in a known-good
    entry, so that the helper alone is judged)."""
    if not ctx.run.modelled:
        return
    trial.prefetch(ctx.trials, ctx.paths)
    yield from _partial_notes(ctx, patch, lambda name: name.startswith("int3_"))
    state = ctx.paths.after(patch)
    changed = [b for b in state.helpers if b.changed_by == patch.index]
    if not changed:
        return
    verdict = trial.helpers_alone(ctx.trials, state)
    if verdict.error or verdict.budget:
        yield _not_run(ctx, patch, changed[0], verdict)
    if not verdict.failed:
        return
    # A helper that was already wrong before this patch is the earlier patch's finding: a patch
    # that only rewords a comment next to it must not inherit the blame.
    before = ctx.paths.before(patch)
    inherited = {(o.scenario.name, o.reason)
                 for o in trial.helpers_alone(ctx.trials, before).failed} \
        if before is not None and before.helpers else set()
    reported = set()
    # a changed helper's own scenario first: a wrong push is "not push", not "not call"
    own = sorted(verdict.failed, key=lambda o: state.helper(
        f"int3_emulate_{HELPER_OF[o.scenario.insn]}") not in changed)
    for outcome in own:
        if (outcome.scenario.name, outcome.reason) in inherited:
            continue
        helper = state.helper(f"int3_emulate_{HELPER_OF[outcome.scenario.insn]}")
        # a call that pushes a wrong value may be the push's fault: blame what this patch changed
        culprit = helper if helper in changed else next(
            (b for b in changed if b.name in str(helper)), changed[0])
        if culprit.name in reported:
            continue
        reported.add(culprit.name)
        yield _block_finding(ctx, patch, culprit,
                             f"{culprit.name}() is not {outcome.scenario.insn} "
                             f"({outcome.scenario.name}): {outcome.reason}", _evidence(outcome))


def bisect_breaks(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """After this patch a handler uses the helpers on an entry path without room, although the
    helpers and the gap each work (the breakage is the order of the patches)."""
    if not ctx.run.modelled:
        return
    trial.prefetch(ctx.trials, ctx.paths)
    state = ctx.paths.after(patch)
    before = ctx.paths.before(patch)
    users = _pushing_uses(state)
    if not users or trial.gap_alone(ctx.trials, state).failed \
            or trial.helpers_alone(ctx.trials, state).failed:
        return
    verdict = trial.run(ctx.trials, state)
    use = next((u for u in users if u.patch == patch.index), users[0])
    if verdict.budget and use.patch == patch.index:
        finding = ctx.finding(patch, f"{use.helper}() here was not checked: budget "
                                     f"({verdict.budget})", use.at, Location(use.path, use.line),
                              reason=verdict.budget, unchecked=True, **_shown(patch, use.at))
        yield replace(finding, level=Level.NOTE)
    if not verdict.failed or (before is not None and _pushing_uses(before)
                              and trial.run(ctx.trials, before).failed):
        return
    room = "makes no gap" if state.gap is None else "leaves no room"
    later = [s.index for s in ctx.paths.paths if s.index > patch.index
             and _pushing_uses(s) and not trial.run(ctx.trials, s).failed]
    fixed = f"; patch {later[0]} fixes it, but bisection can stop here" if later else ""
    outcome = verdict.failed[0]
    yield ctx.finding(
        patch, f"{use.helper}() runs here on an int3 entry that {room} for its push "
               f"({outcome.scenario.name}: {outcome.reason}){fixed}",
        use.at, Location(use.path, use.line), **_shown(patch, use.at), **_evidence(outcome))


def build_limit(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """The gap block or the helpers this patch leaves could not be built within the limits (the
    trials of the emulation rules hit them; here they are reported once, on the patch that
    changed the code, unless the state before it hit a limit already)."""
    if not ctx.run.modelled:
        return
    state = ctx.paths.after(patch)
    before = ctx.paths.before(patch)
    if state.gap is not None and state.gap.changed_by == patch.index:
        hit = trial.gap_alone(ctx.trials, state).limit
        if hit and not (before is not None and before.gap
                        and trial.gap_alone(ctx.trials, before).limit):
            yield _block_finding(ctx, patch, state.gap, _limit_message(hit), {"limit": hit})
    changed = [b for b in (*state.helpers, *state.macros) if b.changed_by == patch.index]
    if changed:
        hit = trial.helpers_alone(ctx.trials, state).limit
        if hit and not (before is not None and before.helpers
                        and trial.helpers_alone(ctx.trials, before).limit):
            yield _block_finding(ctx, patch, changed[0], _limit_message(hit), {"limit": hit})
    for path, pieces in _changed_entries(state, patch):
        hit = trial.entry_alone(ctx.trials, state, path).limit
        if hit and not (before is not None and trial.entry_alone(ctx.trials, before, path).limit):
            yield _block_finding(ctx, patch, pieces[0], _limit_message(hit), {"limit": hit})


def _limit_message(hit: str) -> str:
    return f"the code of this patch could not be built within {hit}"


def _pushing_uses(state) -> list:
    """The state's calls of helpers that store below regs->sp (push, and the helpers that call
    it, such as call): only they need the entry's room; a jmp, pop or ret handler does not."""
    pushers = {"int3_emulate_push"}
    grown = True
    while grown:
        found = {b.name for b in state.helpers if b.name not in pushers and any(
            re.search(rf"\b{name}\s*\(", str(b)) for name in pushers)}
        pushers |= found
        grown = bool(found)
    return [u for u in state.users if u.helper in pushers]


def _partial_notes(ctx: Context, patch: Patch, wanted) -> Iterator[Finding]:
    """Notes on the blocks (`wanted` by name) this patch changes in hunks too short to show them
    whole: without a tree they are not emulated, and silence would read as a pass."""
    for partial in ctx.paths.partial_blocks:
        if partial.patch == patch.index and wanted(partial.name):
            what = ("the entry gap block" if partial.name == blocks.GAP
                    else f"{partial.name}()" if partial.name.startswith("int3_") else partial.name)
            finding = ctx.finding(
                patch, f"{what} was not emulated: the hunk shows only part of it; "
                       "check with --tree to run it", partial.at,
                Location(partial.path, partial.line), unchecked=True, **_shown(patch, partial.at))
            yield replace(finding, level=Level.NOTE)


def _not_run(ctx: Context, patch: Patch, block, verdict) -> Finding:
    """A note that a block could not be built or run, or was not for want of time, so the rule
    could not judge it."""
    what = (f"was not checked: budget ({verdict.budget})" if verdict.budget
            else f"was not emulated: {verdict.error}")
    finding = ctx.finding(patch, f"{block.name} {what}",
                          patch.mail_line(block.path, block.line),
                          Location(block.path, block.line), reason=verdict.budget or verdict.error,
                          unchecked=True)
    if verdict.toolchain and ctx.run.first_time("toolchain"):
        # Without a compiler no semantic check runs at all: a CI job must not pass silently.
        return replace(finding, level=Level.WARNING, message=(
            f"{finding.message}; the semantic checks of this series could not run (install gcc "
            f"and binutils, or name the tools with CC, AS and LD)"))
    return replace(finding, level=Level.NOTE)


def _block_finding(ctx: Context, patch: Patch, block, message: str, evidence: dict) -> Finding:
    """A finding at the first code line this patch adds to `block` (the likeliest culprit; a
    comment line only when it adds no code), else at the first line it removes from it (placed at
    the line after), else at the block's first line."""
    changes = [change for diff in patch.files for change in blocks.changes_inside(diff, block)]
    code = [(ln, n) for ln, n in changes if not blocks.is_remark(ln.text)]
    added = [(ln, n) for ln, n in (*code, *changes) if ln.kind == "+"]
    line, at = next(iter(added or code or changes), (patch.shows(block.path, block.line), None))
    if line is None:
        return ctx.finding(patch, message, None, Location(block.path, block.line), **evidence)
    return ctx.finding(patch, message, line.at, Location(block.path, at or line.new_line),
                       line=line.kind + line.text, **evidence)


def _evidence(outcome) -> dict:
    """The scenario, the trace and the stack diagram (text and SVG) of a failed outcome."""
    found = evidence.with_trace(dict(outcome.evidence or {}))
    title = f"{outcome.scenario.name} ({outcome.status})"
    rows = found.get("stack", [])
    return {"scenario": outcome.scenario.name, "table": outcome.scenario.where,
            "reason": outcome.reason, **found,
            "stack_text": pictures.stack_text(rows) if rows else "",
            "stack_svg": pictures.stack_svg(rows, title) if rows else ""}


def _shown(patch: Patch, at: int | None) -> dict:
    """The diff line at mail line `at` as evidence, so the finding shows the code it is about."""
    line = patch.line_at(at)
    return {} if line is None else {"line": line.kind + line.text}
