"""Rules on what a patch asks to be applied and referred to: refused input, what does not apply, cited commits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from toolkit import lazy
from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Level, Location
from toolkit.series.model import Patch
from toolkit.states.refusals import include_refusal, path_refusal, unbuildable

# Commit ids are looked up only with --tree.
gitrepo = lazy.module("toolkit.gitrepo")


def refused_input(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Paths out of the tree, and includes in the code the trials would build (the state's helpers,
    macros and gap block): of a file outside the tree refused, of any other not built. Includes
    elsewhere in a patch are the kernel build's business, not the toolkit's."""
    if not ctx.run.modelled:
        # nothing of the model to build: only the paths a patch names can be refused
        for diff in patch.files:
            if refused := path_refusal(diff):
                yield ctx.finding(patch, refused, diff.at)
        return
    for refusal in ctx.paths.refusals:
        if refusal.patch == patch.index:
            yield ctx.finding(patch, refusal.message, refusal.at)
    for block, number in _unbuildable(ctx.paths.after(patch)):
        if block.changed_by != patch.index:
            continue
        text = dict(block.lines)[number]
        message = include_refusal(block.path, text) or (
            f"{block.name} includes another file: not built or run, only the toolkit's own files "
            "are built with a patch's code")
        shown = patch.shows(block.path, number)
        yield ctx.finding(patch, message, shown and shown.at, Location(block.path, number),
                          **({"line": shown.kind + shown.text} if shown else {}))


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
    tree = ctx.paths.tree if ctx.run.repository else None
    if tree is None:
        return          # unverified: there is nothing to look the ids up in
    for sha, subject, at in commit_references(patch):
        actual = gitrepo.commit_subject(tree, sha)
        if actual is None:
            yield ctx.finding(patch, f"commit {sha} is not in {tree}", at, commit=sha,
                              subject=subject)
        elif actual != subject:
            yield ctx.finding(patch, f"commit {sha} is titled (\"{actual}\"), not (\"{subject}\")",
                              at, commit=sha, subject=subject, actual=actual)


def patch_does_not_apply(patch: Patch, ctx: Context) -> Iterator[Finding]:
    if not ctx.run.modelled:
        return              # the hunks change no file of the reference model
    state = ctx.paths.after(patch)
    at = patch.files[0].at if patch.files else patch.at
    if ctx.paths.held and patch is ctx.series.patches[0]:
        # a branch that holds the series (b4 prep --check with --tree .): not a failure to apply
        yield replace(ctx.finding(patch, f"the tree already holds this patch (commit "
                                         f"{ctx.paths.held[:12]}); the series is judged from "
                                         f"that commit's parent", at, held=ctx.paths.held),
                      level=Level.NOTE)
    if state.failed:
        yield ctx.finding(patch, state.failed, at, reason=state.failed)


def _unbuildable(state) -> list:
    return unbuildable((*state.helpers, *state.macros, *((state.gap,) if state.gap else ())))
