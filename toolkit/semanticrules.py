"""Rules that judge what a patch's code means on the int3 path, in the tree state it leaves.

Each rule is a generator `(patch, ctx) -> Findings` like those of textrules; `ctx.states` holds the
tree state after every patch (toolkit.states) and `ctx.series` the series they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from toolkit.findings import Finding, Level, Location
from toolkit.series import FileDiff, Patch

if TYPE_CHECKING:
    from toolkit.rules import Context

# What a comment says when it explains where the room below regs->sp comes from: the gap the
# entry code leaves, FIXUP_FRAME on x86_32, FRED's red zone, or space reserved for the purpose.
_ROOM_EXPLAINED = re.compile(r"\b(?:gap|create_gap|room|reserv\w*|red\s*zone|redzone|FIXUP_FRAME"
                             r"|entry\s+code|entry_(?:64|32)\.S|idtentry)\b", re.IGNORECASE)
# `#include "/etc/passwd"`, `.incbin "../../secret"`: an include of a file outside the tree.
_INCLUDE_OUTSIDE = re.compile(r'\s*(#\s*include|\.include|\.incbin)\s*[<"]((?:/|[^>"]*\.\./)[^>"]*)[>"]')
# `x86_64`, `x86_32`: architectures, which prose names without meaning an identifier.
_ARCH_NAME = re.compile(r"[A-Za-z]+\d+_\d+")
# A name a comment can refer to: `create_gap`, `\vector`, `CONFIG_X86_64`, `int3_emulate_push()`.
# Single words without an underscore are prose; `entry_64.S` and `a/b_c` are file names.
_NAMED = re.compile(r"(?<![\w/.-])(\\?[A-Za-z_]\w*)(?:\(\))?(?![\w/]|\.\w)")


def stack_gap_undocumented(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Added code that stores below a saved stack pointer, in a function whose comments do not say
    where that room comes from."""
    from toolkit import states

    state = ctx.states.of(patch)
    for diff in _c_files(patch):
        pairs, lines = _source(diff, state)
        model = states.parsed(tuple(pairs), diff.path)
        for function in model.functions:
            if any(_ROOM_EXPLAINED.search(c.words) for c in function.comments):
                continue
            span = (function.line, function.end_line)
            for write in _stores_below_sp(function.body):
                real = pairs[write - 1][0]
                line = lines.get(real)
                if line is None:
                    continue
                if line.kind == "+":
                    why = "no comment in or above it says why that room is free (the entry gap?)"
                elif _comment_removed(diff, *span):
                    why = "this patch removes the comment that said why that room is free"
                else:
                    continue
                yield ctx.finding(
                    patch, f"{function.name}() stores below the saved stack pointer, and {why}",
                    line.at, Location(diff.path, real), line=f"{line.kind}{line.text}",
                    function=function.name)


def commit_log_other_patch(patch: Patch, ctx: Context) -> Iterator[Finding]:
    from toolkit import commitlog

    text = {line.at: line.text for line in patch.message}
    elsewhere = list(commitlog.other_patch_claims(patch, ctx.series))
    for claim, maker in elsewhere:
        yield ctx.finding(
            patch, f"the message claims {claim.change} ('{claim.words}'), which this patch does "
                   f"not change: patch {maker.index}/{maker.total} ('{maker.subject}') does",
            claim.at, line=text.get(claim.at), change=claim.change, words=claim.words,
            made_by=maker.index)
    for claim in commitlog.stale_also(patch, elsewhere):
        maker = elsewhere[0][1]
        yield ctx.finding(
            patch, f"'{claim.words}': the 'also' is left over, the change it adds to is patch "
                   f"{maker.index}/{maker.total}'s, not this patch's",
            claim.at, line=text.get(claim.at), change=claim.change, words=claim.words,
            made_by=maker.index)


def stale_reference(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Names in added or touched comments that the state after this patch does not have."""
    from toolkit import cpre, states

    state = ctx.states.of(patch)
    if state.failed:
        return              # the comment is not in the tree: the patch did not apply
    for diff in patch.files:
        if not state.backed_by_tree and diff.path not in (states.TEXT_PATCHING_H, states.ENTRY_64):
            continue        # without a tree only the files of the reference model are known
        if not diff.path.endswith((".h", ".c", ".S")):
            continue
        pairs, lines = _source(diff, state)
        source = cpre.scan(pairs, diff.path)
        for comment in source.comments:
            added = [lines[n] for n in range(comment.line, comment.end_line + 1)
                     if n in lines and lines[n].kind == "+"]
            if not added:
                continue
            for name in dict.fromkeys(_names(comment.words)):
                bare = name.lstrip("\\")
                if state.knows(bare) or (bare.startswith("CONFIG_") and state.knows(bare[7:])):
                    continue
                where = next((ln for ln in added if name in ln.text), added[0])
                scope = ("in the tree after this patch" if state.backed_by_tree
                         else "in the reference model or the series")
                finding = ctx.finding(
                    patch, f"the comment names '{name}', which does not exist {scope}",
                    where.at, Location(diff.path, where.new_line), name=bare,
                    line="+" + where.text, verified=state.backed_by_tree)
                yield finding if state.backed_by_tree else replace(finding, level=Level.NOTE)


def refused_input(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Paths out of the tree, includes of files outside it, and code the trials would not build."""
    from toolkit import trial

    for refusal in ctx.states.refusals:
        if refusal.patch == patch.index:
            yield ctx.finding(patch, refusal.message, refusal.at)
    outside = set()
    for diff in patch.files:
        for line in (ln for h in diff.hunks for ln in h.lines if ln.kind == "+"):
            match = _INCLUDE_OUTSIDE.match(line.text)
            if match:
                outside.add((diff.path, line.new_line))
                yield ctx.finding(patch, f"refused: {match.group(1)} of {match.group(2)}, "
                                         "which is outside the tree", line.at,
                                  Location(diff.path, line.new_line), line="+" + line.text)
    for block, number in trial.refusals(ctx.states.of(patch)):
        if block.patch != patch.index or (block.path, number) in outside:
            continue
        yield ctx.finding(patch, f"{block.name} includes another file: not built or run, only "
                                 "the toolkit's own files are built with a patch's code",
                          _mail_line(patch, block.path, number), Location(block.path, number))


# --- reading added code --------------------------------------------------------------------------

def _c_files(patch: Patch) -> Iterator[FileDiff]:
    return (d for d in patch.files if d.path.endswith((".h", ".c")) and not d.binary)


def _source(diff: FileDiff, state):
    """(real line, text) pairs to read a changed file from, and the diff's lines by real line.

    With a tree the whole file after the patch (so that a comment or function the hunk shows
    only part of is read whole); without, the hunks' post-image, opened with `/*` when it starts
    inside a comment.
    """
    from toolkit import cpre, states

    lines = {ln.new_line: ln for h in diff.hunks for ln in h.lines
             if ln.kind != "-" and ln.new_line is not None}
    whole = state.file(diff.path) if state.backed_by_tree and not state.failed else None
    if whole is not None:
        return cpre.numbered(whole), lines
    return states.framed([(n, ln.text) for n, ln in lines.items()]), lines


def _comment_removed(diff: FileDiff, first: int, last: int) -> bool:
    """Whether the diff takes comment lines out of post-image lines `first`..`last` of a function
    (or from directly above it)."""
    for hunk in diff.hunks:
        after = hunk.new_start - 1       # a removed line sits below the post-image line before it
        for ln in hunk.lines:
            if ln.kind != "-":
                after = ln.new_line if ln.new_line is not None else after
            elif first - 1 <= after <= last and ln.text.lstrip().startswith(("/*", "*", "//")):
                return True
    return False


def _names(words: str) -> Iterator[str]:
    for match in _NAMED.finditer(words):
        name = match.group(1)
        if _ARCH_NAME.fullmatch(name):
            continue
        if "_" in name.strip("_") or name.startswith("\\"):
            yield name


def _stores_below_sp(body) -> Iterator[int]:
    """Lines (of the parsed text) of `*(T *)P->sp = V` after a `P->sp -= N` (or `P->sp = P->sp - N`)
    in the same function: a push emulated on a saved stack pointer."""
    lowered: set[str] = set()
    for node in _walk(body):
        if type(node).__name__ != "Assignment":
            continue
        target = _sp_field(node.lvalue)
        if target and (node.op == "-=" or (node.op == "=" and _lowers(node.rvalue, target))):
            lowered.add(target)
            continue
        if (node.op == "=" and type(node.lvalue).__name__ == "UnaryOp"
                and node.lvalue.op == "*" and _sp_field(_uncast(node.lvalue.expr)) in lowered):
            yield node.coord.line


def _walk(node):
    # pycparser nodes, visited in source order without importing pycparser here
    yield node
    for _, child in node.children():
        yield from _walk(child)


def _sp_field(node) -> str | None:
    """'regs' for `regs->sp`, else None."""
    if (type(node).__name__ == "StructRef" and node.type == "->" and node.field.name == "sp"
            and type(node.name).__name__ == "ID"):
        return node.name.name
    return None


def _uncast(node):
    while type(node).__name__ == "Cast":
        node = node.expr
    return node


def _lowers(value, target: str) -> bool:
    return (type(value).__name__ == "BinaryOp" and value.op == "-"
            and _sp_field(_uncast(value.left)) == target)


# --- rules backed by running the state's code ----------------------------------------------------

def entry_frame_corrupted(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """The gap block this patch leaves, run with known-good helpers, damages the saved frame."""
    from toolkit import trial

    from toolkit.states import GAP

    yield from _glimpsed(ctx, patch, lambda name: name == GAP)
    state = ctx.states.of(patch)
    if state.gap is None or state.gap.patch != patch.index:
        return
    verdict = trial.gap_alone(state)
    if verdict.error:
        yield _not_run(ctx, patch, state.gap, verdict.error)
    for outcome in verdict.failed[:1]:
        yield _emulation_finding(ctx, patch, state.gap, outcome,
                                 f"the entry gap block leaves no safe room "
                                 f"({outcome.scenario.name}): {outcome.reason}")


def emulation_mismatch(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """A helper this patch leaves behind disagrees with the real instruction (in a known-good
    entry, so that the helper alone is judged)."""
    from toolkit import trial

    from toolkit.states import GAP

    yield from _glimpsed(ctx, patch, lambda name: name != GAP)
    state = ctx.states.of(patch)
    changed = [b for b in state.helpers if b.patch == patch.index]
    if not changed:
        return
    verdict = trial.helpers_alone(state)
    if verdict.error:
        yield _not_run(ctx, patch, changed[0], verdict.error)
    if not verdict.failed:
        return
    from toolkit.scenarios import HELPER_OF     # the tables are loaded only to explain a failure

    # A helper that was already wrong before this patch is the earlier patch's finding: a patch
    # that only rewords a comment next to it must not inherit the blame.
    before = ctx.states.before(patch)
    inherited = {(o.scenario.name, o.reason) for o in trial.helpers_alone(before).failed} \
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
        yield _emulation_finding(ctx, patch, culprit, outcome,
                                 f"{culprit.name}() is not {outcome.scenario.insn} "
                                 f"({outcome.scenario.name}): {outcome.reason}")


def bisect_breaks(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """After this patch a handler uses the helpers on an entry path without room, although the
    helpers and the gap each work (the breakage is the order of the patches)."""
    from toolkit import trial

    state = ctx.states.of(patch)
    before = ctx.states.before(patch)
    users = _pushing_uses(state)
    if not users or trial.gap_alone(state).failed or trial.helpers_alone(state).failed:
        return
    verdict = trial.run(state)
    if not verdict.failed or (before is not None and _pushing_uses(before)
                              and trial.run(before).failed):
        return
    use = next((u for u in users if u.patch == patch.index), users[0])
    room = "makes no gap" if state.gap is None else "leaves no room"
    later = [s.index for s in ctx.states.after if s.index > patch.index
             and _pushing_uses(s) and not trial.run(s).failed]
    fixed = f"; patch {later[0]} fixes it, but bisection can stop here" if later else ""
    outcome = verdict.failed[0]
    yield ctx.finding(
        patch, f"{use.helper}() runs here on an int3 entry that {room} for its push "
               f"({outcome.scenario.name}: {outcome.reason}){fixed}",
        use.at, Location(use.path, use.line), **_shown(patch, use.at), **_evidence(outcome))


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


def _glimpsed(ctx: Context, patch: Patch, wanted) -> Iterator[Finding]:
    """Notes on the blocks (`wanted` by name) this patch changes in hunks too short to show them
    whole: without a tree they are not emulated, and silence would read as a pass."""
    for glimpse in ctx.states.glimpses:
        if glimpse.patch == patch.index and wanted(glimpse.name):
            what = "the entry gap block" if not glimpse.name.startswith("int3_") \
                else f"{glimpse.name}()"
            finding = ctx.finding(
                patch, f"{what} was not emulated: the hunk shows only part of it; "
                       "check with --tree to run it", glimpse.at,
                Location(glimpse.path, glimpse.line), unchecked=True, **_shown(patch, glimpse.at))
            yield replace(finding, level=Level.NOTE)


def _not_run(ctx: Context, patch: Patch, block, error: str) -> Finding:
    """A note that a block could not be built or run, so the rule could not judge it."""
    finding = ctx.finding(patch, f"{block.name} was not emulated: {error}",
                          _mail_line(patch, block.path, block.line),
                          Location(block.path, block.line), reason=error, unchecked=True)
    return replace(finding, level=Level.NOTE)


def _emulation_finding(ctx: Context, patch: Patch, block, outcome, message: str) -> Finding:
    """A finding at the first line of `block` this patch adds (the likeliest culprit), else at
    the block's first line."""
    shown = [ln for ln in (_diff_line(patch, block.path, n) for n, _ in block.lines) if ln]
    line = next((ln for ln in shown if ln.kind == "+"), shown[0] if shown else None)
    if line is None:
        return ctx.finding(patch, message, None, Location(block.path, block.line),
                           **_evidence(outcome))
    return ctx.finding(patch, message, line.at, Location(block.path, line.new_line),
                       line=line.kind + line.text, **_evidence(outcome))


def _shown(patch: Patch, at: int | None) -> dict:
    """The diff line at mail line `at` as evidence, so the finding shows the code it is about."""
    line = next((ln for diff in patch.files for h in diff.hunks for ln in h.lines
                 if at is not None and ln.at == at), None)
    return {} if line is None else {"line": line.kind + line.text}


def _mail_line(patch: Patch, path: str, line: int) -> int | None:
    """The mail line of post-image line `line` of `path` in the patch, if the diff shows it."""
    shown = _diff_line(patch, path, line)
    return None if shown is None else shown.at


def _diff_line(patch: Patch, path: str, line: int):
    """The diff line that shows post-image line `line` of `path` in the patch, if any."""
    return next((ln for diff in patch.files if diff.path == path for h in diff.hunks
                 for ln in h.lines if ln.kind != "-" and ln.new_line == line), None)


def _evidence(outcome) -> dict:
    """The scenario, the trace and the stack diagram (text and SVG) of a failed outcome."""
    from toolkit import evidence

    found = dict(outcome.evidence or {})
    title = f"{outcome.scenario.name} ({outcome.status})"
    rows = found.get("stack", [])
    return {"scenario": outcome.scenario.name, "table": outcome.scenario.where,
            "reason": outcome.reason, **found,
            "stack_text": evidence.stack_text(rows) if rows else "",
            "stack_svg": evidence.stack_svg(rows, title) if rows else ""}


# --- references to other commits ----------------------------------------------------------------

# Fixes: b700e7f03df5 ("livepatch: kernel: add support for live patching")
_FIXES = re.compile(r'([0-9a-fA-F]{7,40})\s+\("(.+)"\)')
# ... since commit 0123456789ab ("x86: subject") ... — possibly wrapped over lines
_COMMIT_IN_TEXT = re.compile(r'\bcommit\s+([0-9a-f]{7,40})\s+\("([^"]+)"\)', re.IGNORECASE)


def commit_references(patch: Patch) -> list[tuple[str, str, int | None]]:
    """(id, subject, mail line) of every Fixes: trailer and `commit <id> ("...")` in a message."""
    found = [(match.group(1), match.group(2), t.at) for t in patch.trailers
             if t.name.lower() == "fixes" and (match := _FIXES.match(t.value.strip()))]
    text = "\n".join(line.text for line in patch.message)
    for match in _COMMIT_IN_TEXT.finditer(text):
        line = patch.message[text.count("\n", 0, match.start())]
        found.append((match.group(1), " ".join(match.group(2).split()), line.at))
    return found


def commit_reference(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """With a tree: each referenced commit exists and has the subject quoted."""
    tree = ctx.states.tree
    if tree is None:
        return          # unverified: there is nothing to look the ids up in
    from toolkit import repository

    for sha, subject, at in commit_references(patch):
        actual = repository.commit_subject(tree, sha)
        if actual is None:
            yield ctx.finding(patch, f"commit {sha} is not in {tree}", at, commit=sha,
                              subject=subject)
        elif actual != subject:
            yield ctx.finding(patch, f"commit {sha} is titled (\"{actual}\"), not (\"{subject}\")",
                              at, commit=sha, subject=subject, actual=actual)


def patch_does_not_apply(patch: Patch, ctx: Context) -> Iterator[Finding]:
    state = ctx.states.of(patch)
    if state.failed:
        at = patch.files[0].at if patch.files else patch.at
        yield ctx.finding(patch, state.failed, at, reason=state.failed)
