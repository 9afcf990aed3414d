"""The int3 path after each patch of a series: `Int3Path` for one state, `Int3Paths` for the series.

A state is built either from a kernel repository the series was applied to (`toolkit.gitrepo`)
or, without one, from the hunks themselves laid over the toolkit's own generated reference code
(`toolkit.states.reference`): the post-image of a changed helper or gap block replaces the
reference one, and a block the series adds does not exist before the patch that adds it. Checks
ask a state for its blocks, its callers and whether it knows a name; they do not care where the
state came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from toolkit import lazy
from toolkit.cmodel import preprocessor as cpre
from toolkit.series.model import Patch, Series
from toolkit.states import reference
from toolkit.states.blocks import (
    GAP,
    Block,
    HelperCall,
    PartialBlock,
    added_blocks,
    added_uses,
    blocks_in,
    close_cut_comments,
    code_has,
    code_words,
    entry_blocks,
    gap_block,
    header_blocks,
    partial_blocks,
    post_image,
    removed_names,
    touched,
    used_macros,
    uses_in,
)
from toolkit.states.refusals import Refusal, path_refusal
from toolkit.x86 import ENTRY_64, ENTRY_BESIDE, ENTRY_PIECES, TEXT_PATCHING_H

# The repository is read only with --tree.
gitrepo = lazy.module("toolkit.gitrepo")


@dataclass(frozen=True, slots=True)
class Int3Path:
    """The int3 path after patches 1..`index` (0: before the series).

    `helpers` and `macros` are the helper header's int3_emulate_* functions and the macros they
    use; `gap` is the x86_64 entry-gap block (None when the entry makes no gap); `users` are the
    calls of helpers outside the header; `entries` are the kernel's own entry pieces this state
    has (x86.ENTRY_PIECES: the x86_32 FIXUP_FRAME and IRET_FRAME, the FRED kernel entry, and with
    a tree the calling.h macros that one uses), which run on their own paths and so are not part
    of `key`. `knows(name)` says whether an identifier occurs in the code (not the comments) of
    this state; `file(path)` gives a whole file when the state has one.
    """

    index: int
    helpers: tuple[Block, ...]
    macros: tuple[Block, ...]
    gap: Block | None
    users: tuple[HelperCall, ...]
    backed_by_tree: bool
    knows: Callable[[str], bool] = field(compare=False, repr=False)
    file: Callable[[str], str | None] = field(compare=False, repr=False, default=lambda path: None)
    failed: str | None = None
    entries: tuple[Block, ...] = ()

    def helper(self, name: str) -> Block | None:
        return next((b for b in self.helpers if b.name == name), None)

    @property
    def key(self) -> tuple:
        """What emulation depends on: two states with equal keys behave the same."""
        return (tuple(str(b) for b in self.helpers), tuple(str(m) for m in self.macros),
                str(self.gap) if self.gap else None, self.gap.style if self.gap else None)


@dataclass(frozen=True, slots=True)
class Int3Paths:
    """Every state of one series: `paths[k]` is the int3 path after patch k (`paths[0]` the base)."""

    paths: tuple[Int3Path, ...]
    refusals: tuple[Refusal, ...] = ()
    tree: str | None = None
    partial_blocks: tuple[PartialBlock, ...] = ()
    #: the series' base-commit when the repository does not have it (applied at HEAD instead)
    missing_base: str | None = None
    #: the commit of the repository's HEAD history that already holds the first patch: the
    #: series was applied from its parent (a b4 prep or topic branch checked in place)
    held: str | None = None

    def after(self, patch: Patch) -> Int3Path:
        """The state after `patch`."""
        return next(state for state in self.paths if state.index == patch.index)

    def before(self, patch: Patch) -> Int3Path | None:
        """The state `patch` was applied to (None for the cover letter)."""
        return next((state for state in self.paths if state.index == patch.index - 1), None)


def from_repository(series: Series, tree: str) -> Int3Paths:
    """The states of `series` applied to the kernel repository at `tree` (toolkit.gitrepo)."""
    refusals, texts = [], []
    for patch in series.patches:
        refused = [(path_refusal(d), d.at) for d in patch.files if path_refusal(d)]
        refusals += [Refusal(patch.index, message, at) for message, at in refused]
        texts.append("" if refused else "".join(map(str, patch.files)))
    base = next((p.base_commit for p in (series.cover, *series.patches)
                 if p is not None and p.base_commit), None)
    applied = gitrepo.apply_series(tree, texts, base)
    after = [_in_repository(tree, 0, applied.base, None, None, [])]
    users: list[HelperCall] = []
    for patch, text, (treeish, failed) in zip(series.patches, texts, applied.states):
        if text and not failed:
            users += [u for d in patch.files if d.path != TEXT_PATCHING_H
                      for u in added_uses(d, patch.index)]
        after.append(_in_repository(tree, patch.index, treeish, failed and f"git apply: {failed}",
                                 after[-1], users))
    missing = base if base and not applied.base.startswith(base.lower()) else None
    return Int3Paths(tuple(after), tuple(refusals), tree, missing_base=missing,
                     held=applied.held)


def _in_repository(tree: str, index: int, treeish: str, failed: str | None,
                before: Int3Path | None, users: list[HelperCall]) -> Int3Path:
    header = gitrepo.show(tree, treeish, TEXT_PATCHING_H) or ""
    entry = gitrepo.show(tree, treeish, ENTRY_64) or ""
    helpers, macros = header_blocks(cpre.numbered(header), TEXT_PATCHING_H, index)
    gap = gap_block(cpre.numbered(entry), ENTRY_64, index)
    entries = [b for path in ENTRY_PIECES for b in entry_blocks(
        cpre.numbered(gitrepo.show(tree, treeish, path) or ""), path, index)]
    beside_texts: dict[str, str] = {}
    for path, besides in ENTRY_BESIDE.items():
        pieces = [b for b in entries if b.path == path]
        for beside in besides if pieces else ():
            beside_texts[beside] = gitrepo.show(tree, treeish, beside) or ""
            entries += used_macros(pieces, cpre.numbered(beside_texts[beside]), beside, index)
    if before is not None:
        # a block keeps the patch that last changed it
        old = {(b.path, b.name): b for b in (*before.helpers, *before.macros, *before.entries,
                                             *((before.gap,) if before.gap else ()))}
        helpers = [_unless_changed(b, old) for b in helpers]
        macros = [_unless_changed(b, old) for b in macros]
        entries = [_unless_changed(b, old) for b in entries]
        # a calling.h macro first used by an entry this patch adds is new to the state, but the
        # patch changed it only if it changed calling.h
        new = {b.path for b in entries if (b.path, b.name) not in old} - set(ENTRY_PIECES)
        kept = {path for path in new if (before.file(path) or "") == beside_texts[path]}
        entries = [replace(b, changed_by=0) if b.path in kept and b.changed_by == index else b
                   for b in entries]
        gap = _unless_changed(gap, old) if gap else None
    else:
        helpers = [Block(b.name, b.path, b.lines, 0) for b in helpers]
        macros = [Block(b.name, b.path, b.lines, 0) for b in macros]
        entries = [Block(b.name, b.path, b.lines, 0) for b in entries]
        gap = Block(gap.name, gap.path, gap.lines, 0, gap.style) if gap else None
    # the series' own callers (with the patch and mail line that added them), then the tree's
    added = {(u.path, u.line) for u in users}
    pushers = {path for name in ("int3_emulate_call", "int3_emulate_push")
               for path in gitrepo.grep(tree, treeish, name, "*.c")}
    found = [u for path in sorted(pushers)
             for u in uses_in(gitrepo.show(tree, treeish, path) or "", path)
             if (u.path, u.line) not in added]
    return Int3Path(index, tuple(sorted(helpers, key=lambda b: b.name)), tuple(macros), gap,
                     (*users, *found), True,
                     knows=_Lookup(tree, treeish), file=lambda path: gitrepo.show(
                         tree, treeish, path), failed=failed, entries=tuple(entries))


def _unless_changed(block: Block, old: dict[tuple[str, str], Block]) -> Block:
    """The earlier state's block when its text is the same (so it keeps the patch that made it)."""
    earlier = old.get((block.path, block.name))
    return earlier if earlier is not None and str(earlier) == str(block) else block


class _Lookup:
    """Whether a name occurs in the code (not only the comments) of a tree object; remembered."""

    def __init__(self, tree: str, treeish: str) -> None:
        self.tree, self.treeish, self.seen = tree, treeish, {}

    def __call__(self, name: str) -> bool:
        if name not in self.seen:
            paths = gitrepo.grep(self.tree, self.treeish, name)[:50]
            self.seen[name] = any(code_has(gitrepo.show(self.tree, self.treeish, p) or "", name)
                                  for p in paths)
        return self.seen[name]


def over_reference(series: Series) -> Int3Paths:
    """The states of `series` built from its hunks laid over the toolkit's generated reference."""
    helpers, macros, gap = reference.blocks()
    known = reference.words()
    added = {name for patch in series.patches for name in added_blocks(patch)}
    blocks = {b.name: b for b in (*helpers, *macros, gap, *reference.entries())
              if b.name not in added}
    refusals: list[Refusal] = []
    partial: list[PartialBlock] = []
    users: list[HelperCall] = []
    states = [_state(0, blocks, users, known)]
    for patch in series.patches:
        for diff in patch.files:
            refused = path_refusal(diff)
            if refused:
                refusals.append(Refusal(patch.index, refused, diff.at))
                continue
            post = post_image(diff)
            removed = removed_names(diff)
            found = blocks_in(post, diff.path, patch.index)
            partial += partial_blocks(diff, patch.index, {b.name for b in found})
            for name in removed - {b.name for b in found}:
                blocks.pop(name, None)
            # a block the hunk shows only as context keeps the patch that last changed it
            blocks.update((b.name, b if touched(diff, b) or b.name not in blocks else replace(
                b, changed_by=blocks[b.name].changed_by)) for b in found)
            known = known | code_words("\n".join(
                text for stretch in cpre.stretches((n, text) for n, text, _ in post)
                for _, text in close_cut_comments(list(stretch))))
            if diff.path != TEXT_PATCHING_H:
                users += added_uses(diff, patch.index)
        states.append(_state(patch.index, blocks, users, known))
    return Int3Paths(tuple(states), tuple(refusals), partial_blocks=tuple(partial))


def _state(index: int, blocks: dict[str, Block], users: list[HelperCall], known: frozenset[str]
           ) -> Int3Path:
    helpers = tuple(sorted((b for b in blocks.values() if b.name.startswith("int3_emulate_")),
                           key=lambda b: b.name))
    entries = tuple(b for b in blocks.values() if b.path in ENTRY_PIECES and b.name != GAP)
    macros = tuple(b for b in blocks.values() if b.name not in {h.name for h in helpers}
                   and b.name != GAP and b not in entries)
    return Int3Path(index, helpers, macros, blocks.get(GAP), tuple(users), False,
                     knows=known.__contains__, entries=entries)
