"""Rules that read a patch's added C and comments on the int3 path: undocumented stores, stale names.

Each rule is a generator `(patch, ctx) -> Findings` like those of `toolkit.checks.patchmail`;
`ctx.paths` holds the int3 path after every patch and `ctx.series` the series they belong to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from toolkit import lazy
from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Level, Location
from toolkit.series.diff import FileDiff
from toolkit.series.model import Patch
from toolkit.x86 import ENTRY_64, RETIRED_NAMES, TEXT_PATCHING_H

# The C model (pycparser) loads only when a patch has C or assembly to read.
cpre = lazy.module("toolkit.cmodel.preprocessor")
blocks = lazy.module("toolkit.states.blocks")

# What a comment says when it explains where the room below regs->sp comes from: the gap the
# entry code leaves, FIXUP_FRAME on x86_32, FRED's red zone, or space reserved for the purpose.
_ROOM_EXPLAINED = re.compile(r"\b(?:gap|create_gap|room|reserv\w*|red\s*zone|redzone|FIXUP_FRAME"
                             r"|entry\s+code|entry_(?:64|32)\.S|idtentry)\b", re.IGNORECASE)
# `x86_64`, `x86_32`: architectures, which prose names without meaning an identifier.
_ARCH_NAME = re.compile(r"[A-Za-z]+\d+_\d+")
# A name a comment can refer to: `create_gap`, `\vector`, `CONFIG_X86_64`, `int3_emulate_push()`.
# Single words without an underscore are prose; `entry_64.S` and `a/b_c` are file names.
_NAMED = re.compile(r"(?<![\w/.-])(\\?[A-Za-z_]\w*)(?:\(\))?(?![\w/]|\.\w)")
# A line of a comment: `/* ...`, `// ...`, ` * words`, ` */` (`*(long *)p = v;` is a store).
_COMMENT_LINE = re.compile(r"\s*(?:/\*|//|\*(?:/|\s|$))")


def stack_gap_undocumented(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Added code that stores below a saved stack pointer, in a function whose comments do not say
    where that room comes from."""
    for diff in filter(_may_store_below_sp, _c_files(patch)):
        stretches, lines = _source(diff, ctx.paths.after(patch))
        for pairs in stretches:
            for function in blocks.header_model(pairs, diff.path).functions:
                if any(_ROOM_EXPLAINED.search(c.words) for c in function.comments):
                    continue
                unseen = _unseen_above(function, pairs[0][0])
                for write in function.stores_below_saved_sp():
                    real = pairs[write - 1][0]
                    line = lines.get(real)
                    if line is None:
                        continue
                    if line.kind == "+":
                        why = "no comment in " + ("it" if unseen else "or above it") + \
                              " says why that room is free (the entry gap?)"
                    elif _comment_removed(diff, function.line, function.end_line):
                        why = "this patch removes the comment that said why that room is free"
                    else:
                        continue
                    finding = ctx.finding(
                        patch, f"{function.name}() stores below the saved stack pointer, and {why}"
                        + (f"; {unseen}, so a comment there was not read (--tree reads the whole "
                           "file)" if unseen else ""),
                        line.at, Location(diff.path, real), line=f"{line.kind}{line.text}",
                        function=function.name, **({"unknown": unseen} if unseen else {}))
                    # a remark on text that was not read is a hint, not a verdict
                    yield replace(finding, level=Level.NOTE) if unseen else finding


def stale_reference(patch: Patch, ctx: Context) -> Iterator[Finding]:
    """Names in added or touched comments that the state after this patch does not have."""
    if not ctx.run.modelled:
        return              # without a tree only the files of the reference model are known
    state = ctx.paths.after(patch)
    if state.failed:
        return              # the comment is not in the tree: the patch did not apply
    removed = _removed_from_code(ctx.series)
    for diff in patch.files:
        if not state.backed_by_tree and diff.path not in (TEXT_PATCHING_H, ENTRY_64):
            continue        # without a tree only the files of the reference model are known
        if not diff.path.endswith((".h", ".c", ".S")):
            continue
        stretches, lines = _source(diff, state)
        comments = (c for pairs in stretches for c in cpre.scan(pairs, diff.path).comments)
        for comment in comments:
            added = [lines[n] for n in range(comment.line, comment.end_line + 1)
                     if n in lines and lines[n].kind == "+"]
            if not added:
                continue
            for name in dict.fromkeys(_names(comment.words)):
                bare = name.lstrip("\\")
                if state.knows(bare) or (bare.startswith("CONFIG_") and state.knows(bare[7:])):
                    continue
                if not state.backed_by_tree and bare not in removed | RETIRED_NAMES:
                    # the reference model is a small part of a kernel: a name it lacks is
                    # stale only when the series took it out of the code, or the int3 path
                    # is known to have dropped it
                    continue
                where = next((ln for ln in added if name in ln.text), added[0])
                scope = ("in the tree after this patch" if state.backed_by_tree
                         else "in the reference model or the series")
                finding = ctx.finding(
                    patch, f"the comment names '{name}', which does not exist {scope}",
                    where.at, Location(diff.path, where.new_line), name=bare,
                    line="+" + where.text, verified=state.backed_by_tree)
                yield finding if state.backed_by_tree else replace(finding, level=Level.NOTE)


def _removed_from_code(series) -> set[str]:
    """Names that the series' removed code lines have and its added ones do not."""
    words = {kind: set() for kind in "+-"}
    for patch in series.patches:
        for diff in patch.files:
            for hunk in diff.hunks:
                for ln in hunk.lines:
                    if ln.kind in words:
                        words[ln.kind].update(blocks.code_words(ln.text))
    return words["-"] - words["+"]


# --- reading added code --------------------------------------------------------------------------

def _c_files(patch: Patch) -> Iterator[FileDiff]:
    return (d for d in patch.files if d.path.endswith((".h", ".c")) and not d.binary)


def _may_store_below_sp(diff: FileDiff) -> bool:
    """Whether the rule can fire on a file at all, read from its lines before any parsing: a
    store through `P->sp` that the patch adds, or one it keeps while taking a comment out."""
    kinds = {ln.kind for h in diff.hunks for ln in h.lines if "->sp" in ln.text}
    return "+" in kinds or (" " in kinds and any(
        ln.kind == "-" and _COMMENT_LINE.match(ln.text) for h in diff.hunks for ln in h.lines))


def _unseen_above(function, first: int) -> str | None:
    """What above `function` the text read, from line `first` on, does not show (None: all of
    it), where the comment saying why the room is free would stand."""
    above = next((c for c in function.comments if c.line < function.line), None)
    if above is not None and above.cut:
        return f"the comment above it starts before line {above.line}, outside the patch"
    if above is None and function.line == first and first > 1:
        return f"line {first - 1}, above it, is not in the patch"
    return None


def _source(diff: FileDiff, state):
    """The stretches of (real line, text) pairs to read a changed file from, and the diff's lines
    by real line.

    With a tree the whole file after the patch (so that a comment or function the hunk shows
    only part of is read whole); without, each hunk's post-image, a fragment the header model
    reads as far as it goes.
    """
    lines = {ln.new_line: ln for h in diff.hunks for ln in h.lines
             if ln.kind != "-" and ln.new_line is not None}
    whole = state.file(diff.path) if state.backed_by_tree and not state.failed else None
    if whole is not None:
        return [tuple(cpre.numbered(whole))], lines
    return cpre.stretches((n, ln.text) for n, ln in lines.items()), lines


def _comment_removed(diff: FileDiff, first: int, last: int) -> bool:
    """Whether the diff takes comment lines out of post-image lines `first`..`last` of a function
    (or from directly above it)."""
    for hunk in diff.hunks:
        after = hunk.new_start - 1       # a removed line sits below the post-image line before it
        for ln in hunk.lines:
            if ln.kind != "-":
                after = ln.new_line if ln.new_line is not None else after
            elif first - 1 <= after <= last and _COMMENT_LINE.match(ln.text):
                return True
    return False


def _names(words: str) -> Iterator[str]:
    for match in _NAMED.finditer(words):
        name = match.group(1)
        if _ARCH_NAME.fullmatch(name):
            continue
        if "_" in name.strip("_") or name.startswith("\\"):
            yield name
