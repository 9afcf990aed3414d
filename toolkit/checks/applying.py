"""Rules on what a patch asks to be applied and referred to: refused input, what does not apply, cited commits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Location
from toolkit.series.model import Patch
from toolkit import lazy
from toolkit.states.refusals import INCLUDE_OUTSIDE, unbuildable

# Commit ids are looked up only with --tree.
gitrepo = lazy.module("toolkit.gitrepo")


def refused_input(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Paths out of the tree, includes of files outside it, and code the trials would not build."""
    for refusal in ctx.paths.refusals:
        if refusal.patch == patch.index:
            yield ctx.finding(patch, refusal.message, refusal.at)
    outside = set()
    for diff in patch.files:
        for line in (ln for h in diff.hunks for ln in h.lines if ln.kind == "+"):
            match = INCLUDE_OUTSIDE.match(line.text)
            if match:
                outside.add((diff.path, line.new_line))
                yield ctx.finding(patch, f"refused: {match.group(1)} of {match.group(2)}, "
                                         "which is outside the tree", line.at,
                                  Location(diff.path, line.new_line), line="+" + line.text)
    for block, number in _unbuildable(ctx.paths.after(patch)):
        if block.changed_by != patch.index or (block.path, number) in outside:
            continue
        yield ctx.finding(patch, f"{block.name} includes another file: not built or run, only "
                                 "the toolkit's own files are built with a patch's code",
                          patch.mail_line(block.path, number), Location(block.path, number))


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
    tree = ctx.paths.tree
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
    state = ctx.paths.after(patch)
    if state.failed:
        at = patch.files[0].at if patch.files else patch.at
        yield ctx.finding(patch, state.failed, at, reason=state.failed)


def _unbuildable(state) -> list:
    return unbuildable((*state.helpers, *state.macros, *((state.gap,) if state.gap else ())))
