"""Tree states: the int3 path (helpers, entry gap, their callers) as it stands after patches 1..k.

A state is built either from a kernel repository the series was applied to (`toolkit.repository`)
or, without one, from the hunks themselves laid over the toolkit's own generated reference code:
the post-image of a changed helper or gap block replaces the reference one, and a block the series
adds does not exist before the patch that adds it. Checks ask a state for its blocks, its callers
and whether it knows a name; they do not care where the state came from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from toolkit import cpre, gapblock
from toolkit.series import FileDiff, Patch, Series

#: Where the blocks live in a kernel tree (codegen installs into the same paths).
TEXT_PATCHING_H = "arch/x86/include/asm/text-patching.h"
ENTRY_64 = "arch/x86/entry/entry_64.S"
#: The name of the entry-gap block among a state's blocks.
GAP = "entry gap"

# int3_emulate_call(regs, func): a call of a helper, in a handler or in another helper.
_HELPER_CALL = re.compile(r"\b(int3_emulate_\w+)\s*\(")
# A C or assembler block comment, a line comment, or a string literal (kept apart from code).
_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]\w*")
# ` * more words`: a line inside a block comment (a hunk can start there)
_COMMENT_BODY = re.compile(r"\s*\*(?!/)")


@dataclass(frozen=True, slots=True)
class Block:
    """A helper function, a macro or the entry-gap block as one state has it: its lines (real line
    number, text) in `path`, and the patch that last changed it (0: from the tree or the
    reference); `style` is the gap block's macro style (trap_bp or create_gap)."""

    name: str
    path: str
    lines: tuple[tuple[int, str], ...]
    patch: int
    style: str | None = None

    @property
    def line(self) -> int:
        return self.lines[0][0]

    def __str__(self) -> str:
        return "".join(f"{text}\n" for _, text in self.lines)


@dataclass(frozen=True, slots=True)
class Use:
    """A call of a helper outside the helper header (a handler using it), and where it stands."""

    helper: str
    path: str
    line: int | None
    patch: int
    at: int | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Input the state would not take from a patch (a path out of the tree, an include of a file
    outside it), and why; each becomes a finding on `patch`."""

    patch: int
    message: str
    at: int | None


@dataclass(frozen=True, slots=True)
class Glimpse:
    """A helper or the gap block (`name`) that a patch changes in a hunk showing only part of it,
    at the first changed line: without a tree there is no whole block to build from it."""

    patch: int
    name: str
    path: str
    line: int | None
    at: int | None


@dataclass(frozen=True, slots=True)
class TreeState:
    """The int3 path after patches 1..`index` (0: before the series).

    `helpers` and `macros` are the helper header's int3_emulate_* functions and the macros they
    use; `gap` is the x86_64 entry-gap block (None when the entry makes no gap); `users` are the
    calls of helpers outside the header. `knows(name)` says whether an identifier occurs in the code
    (not the comments) of this state; `file(path)` gives a whole file when the state has one.
    """

    index: int
    helpers: tuple[Block, ...]
    macros: tuple[Block, ...]
    gap: Block | None
    users: tuple[Use, ...]
    backed_by_tree: bool
    knows: Callable[[str], bool] = field(compare=False, repr=False)
    file: Callable[[str], str | None] = field(compare=False, repr=False, default=lambda path: None)
    failed: str | None = None

    def helper(self, name: str) -> Block | None:
        return next((b for b in self.helpers if b.name == name), None)

    @property
    def key(self) -> tuple:
        """What emulation depends on: two states with equal keys behave the same."""
        return (tuple(str(b) for b in self.helpers), tuple(str(m) for m in self.macros),
                str(self.gap) if self.gap else None, self.gap.style if self.gap else None)


@dataclass(frozen=True, slots=True)
class States:
    """Every state of one series: `after[k]` is the state after patch k (`after[0]` the base)."""

    after: tuple[TreeState, ...]
    refusals: tuple[Refusal, ...] = ()
    tree: str | None = None
    glimpses: tuple[Glimpse, ...] = ()
    #: the series' base-commit when the repository does not have it (applied at HEAD instead)
    missing_base: str | None = None

    def of(self, patch: Patch) -> TreeState:
        """The state after `patch`."""
        return next(state for state in self.after if state.index == patch.index)

    def before(self, patch: Patch) -> TreeState | None:
        """The state `patch` was applied to (None for the cover letter)."""
        return next((state for state in self.after if state.index == patch.index - 1), None)


# --- with a tree: the series applied in a git repository -----------------------------------------

def tree_states(series: Series, tree: str) -> States:
    """The states of `series` applied to the kernel repository at `tree` (toolkit.repository)."""
    from toolkit import repository

    refusals, texts = [], []
    for patch in series.patches:
        refused = [(path_refusal(d), d.at) for d in patch.files if path_refusal(d)]
        refusals += [Refusal(patch.index, message, at) for message, at in refused]
        texts.append("" if refused else "".join(diff_text(d) for d in patch.files))
    base = next((p.base_commit for p in (series.cover, *series.patches)
                 if p is not None and p.base_commit), None)
    applied = repository.apply_series(tree, texts, base)
    after = [_tree_state(tree, 0, applied.base, None, None, [])]
    users: list[Use] = []
    for patch, text, (treeish, failed) in zip(series.patches, texts, applied.states):
        if text and not failed:
            users += [u for d in patch.files if d.path != TEXT_PATCHING_H
                      for u in added_uses(d, patch.index)]
        after.append(_tree_state(tree, patch.index, treeish, failed and f"git apply: {failed}",
                                 after[-1], users))
    missing = base if base and not applied.base.startswith(base.lower()) else None
    return States(tuple(after), tuple(refusals), tree, missing_base=missing)


def _tree_state(tree: str, index: int, treeish: str, failed: str | None,
                before: TreeState | None, users: list[Use]) -> TreeState:
    from toolkit import repository

    header = repository.show(tree, treeish, TEXT_PATCHING_H) or ""
    entry = repository.show(tree, treeish, ENTRY_64) or ""
    helpers, macros = header_blocks(cpre.numbered(header), TEXT_PATCHING_H, index)
    gap = gap_block(cpre.numbered(entry), ENTRY_64, index)
    if before is not None:
        # a block keeps the patch that last changed it
        old = {b.name: b for b in (*before.helpers, *before.macros,
                                   *((before.gap,) if before.gap else ()))}
        helpers = [_unless_changed(b, old) for b in helpers]
        macros = [_unless_changed(b, old) for b in macros]
        gap = _unless_changed(gap, old) if gap else None
    else:
        helpers = [Block(b.name, b.path, b.lines, 0) for b in helpers]
        macros = [Block(b.name, b.path, b.lines, 0) for b in macros]
        gap = Block(gap.name, gap.path, gap.lines, 0, gap.style) if gap else None
    # the series' own callers (with the patch and mail line that added them), then the tree's
    added = {(u.path, u.line) for u in users}
    pushers = {path for name in ("int3_emulate_call", "int3_emulate_push")
               for path in repository.grep(tree, treeish, name, "*.c")}
    found = [u for path in sorted(pushers)
             for u in uses_in(repository.show(tree, treeish, path) or "", path)
             if (u.path, u.line) not in added]
    return TreeState(index, tuple(sorted(helpers, key=lambda b: b.name)), tuple(macros), gap,
                     (*users, *found), True,
                     knows=_Lookup(tree, treeish), file=lambda path: repository.show(
                         tree, treeish, path), failed=failed)


def _unless_changed(block: Block, old: dict[str, Block]) -> Block:
    """The earlier state's block when its text is the same (so it keeps the patch that made it)."""
    earlier = old.get(block.name)
    return earlier if earlier is not None and str(earlier) == str(block) else block


class _Lookup:
    """Whether a name occurs in the code (not only the comments) of a tree object; remembered."""

    def __init__(self, tree: str, treeish: str) -> None:
        self.tree, self.treeish, self.seen = tree, treeish, {}

    def __call__(self, name: str) -> bool:
        from toolkit import repository

        if name not in self.seen:
            paths = repository.grep(self.tree, self.treeish, name)[:50]
            self.seen[name] = any(code_has(repository.show(self.tree, self.treeish, p) or "", name)
                                  for p in paths)
        return self.seen[name]


def diff_text(diff: FileDiff) -> str:
    """A file's diff as `git apply` reads it, rebuilt from the parsed hunks."""
    old = f"a/{diff.old_path}" if diff.old_path else "/dev/null"
    new = f"b/{diff.new_path}" if diff.new_path else "/dev/null"
    out = [f"diff --git a/{diff.old_path or diff.new_path} b/{diff.new_path or diff.old_path}\n"]
    if diff.old_path is None:
        out.append("new file mode 100644\n")
    elif diff.new_path is None:
        out.append("deleted file mode 100644\n")
    out += [f"--- {old}\n", f"+++ {new}\n"]
    for h in diff.hunks:
        section = f" {h.section}" if h.section else ""
        out.append(f"@@ -{h.old_start},{h.old_count} +{h.new_start},{h.new_count} @@{section}\n")
        out += [f"{ln.kind}{ln.text}\n" for ln in h.lines]
    return "".join(out)


# --- without a tree: hunks over the reference -----------------------------------------------------

def reference_states(series: Series) -> States:
    """The states of `series` built from its hunks laid over the toolkit's generated reference."""
    helpers, macros, gap = reference_blocks()
    known = _reference_words()
    added = {name for patch in series.patches for name in added_blocks(patch)}
    blocks = {b.name: b for b in (*helpers, *macros, gap) if b.name not in added}
    refusals: list[Refusal] = []
    glimpses: list[Glimpse] = []
    users: list[Use] = []
    states = [_state(0, blocks, users, known)]
    for patch in series.patches:
        for diff in patch.files:
            refused = path_refusal(diff)
            if refused:
                refusals.append(Refusal(patch.index, refused, diff.at))
                continue
            post = _post_image(diff)
            removed = _removed_names(diff)
            found = _blocks_in(post, diff.path, patch.index)
            glimpses += _glimpses(diff, patch.index, {b.name for b in found})
            for name in removed - {b.name for b in found}:
                blocks.pop(name, None)
            blocks.update((b.name, b) for b in found)
            known = known | _code_words("\n".join(
                text for _, text in framed([(n, text) for n, text, _ in post])))
            if diff.path != TEXT_PATCHING_H:
                users += added_uses(diff, patch.index)
        states.append(_state(patch.index, blocks, users, known))
    return States(tuple(states), tuple(refusals), glimpses=tuple(glimpses))


@functools.cache
def reference_blocks() -> tuple[tuple[Block, ...], tuple[Block, ...], Block]:
    """The helpers, macros and x86_64 gap block of the toolkit's generated reference code.

    Parsing the reference header is a third of a whole check's work, and its result changes only
    with the reference and the parser, so it is kept with the reference texts.
    """
    from toolkit import reference

    def blocks() -> list:
        texts = reference.texts()
        helpers, macros = header_blocks(cpre.numbered(texts["header"]), TEXT_PATCHING_H, 0)
        gap = gap_block(cpre.numbered(texts["gap"]), ENTRY_64, 0)
        return [[_plain(b) for b in helpers], [_plain(b) for b in macros], _plain(gap)]

    helpers, macros, gap = reference.kept("blocks", _PARSER_MODULES, blocks)
    return (tuple(_block(b) for b in helpers), tuple(_block(b) for b in macros), _block(gap))


# The modules that turn the reference texts into blocks.
_PARSER_MODULES = ("states.py", "cheader.py", "cpre.py", "cexpr.py", "gapblock.py")


def _plain(block: Block) -> dict:
    return {"name": block.name, "path": block.path, "lines": block.lines, "patch": block.patch,
            "style": block.style}


def _block(plain: dict) -> Block:
    return Block(**{**plain, "lines": tuple((n, text) for n, text in plain["lines"])})


# Names of the kernel's int3 path that the reference model stands in for without generating
# them (entry_32.S's frame macros, FRED's red zone, the text-poking machinery around the helpers).
_KERNEL_NAMES = frozenset((
    "FIXUP_FRAME", "IRET_FRAME", "CS_FROM_KERNEL", "FRED_CONFIG_REDZONE", "CONFIG_X86_FRED",
    "CONFIG_X86_64", "CONFIG_X86_32", "CONFIG_UML_X86", "text_poke_bp", "poke_int3_handler",
    "int3_selftest", "pt_regs", "idtentry", "X86_TRAP_BP"))


def _reference_words() -> frozenset[str]:
    from toolkit import reference

    texts = reference.texts()
    return _KERNEL_NAMES | _code_words(texts["header"] + texts["prelude"] + texts["entry trap_bp"])


def _state(index: int, blocks: dict[str, Block], users: list[Use], known: frozenset[str]
           ) -> TreeState:
    helpers = tuple(sorted((b for b in blocks.values() if b.name.startswith("int3_emulate_")),
                           key=lambda b: b.name))
    macros = tuple(b for b in blocks.values() if b.name not in {h.name for h in helpers}
                   and b.name != GAP)
    return TreeState(index, helpers, macros, blocks.get(GAP), tuple(users), False,
                     knows=known.__contains__)


def header_blocks(lines: Iterable[tuple[int, str]], path: str, patch: int
                  ) -> tuple[list[Block], list[Block]]:
    """The int3_emulate_* functions of header lines and the object-like macros among them."""
    pairs = tuple(lines)
    model = parsed(pairs, path)
    by_line = dict(pairs)
    helpers = [Block(f.name, path, tuple((n, by_line[n]) for n in range(f.line, f.end_line + 1)
                                         if n in by_line), patch)
               for f in model.functions if f.name.startswith("int3_emulate_")]
    macros = [Block(m.name, path, tuple((n, by_line[n]) for n in range(m.line, m.end_line + 1)
                                        if n in by_line), patch)
              for m in model.macros if m.params is None and m.name.isupper()
              and not m.name.startswith("_")]
    return helpers, macros


@functools.lru_cache(maxsize=64)
def parsed(pairs: tuple[tuple[int, str], ...], path: str):
    """The header model of (real line, text) pairs; the states and the rules read the same
    post-images, which are parsed once."""
    from toolkit import cheader

    return cheader.parse_lines(pairs, path)


def gap_block(lines: list[tuple[int, str]], path: str, patch: int) -> Block | None:
    """The entry-gap block (`.if` to its `.endif`, with the kernel-mode test inside) among
    assembler lines, or None."""
    found = gapblock.locate([text for _, text in lines])
    if found is None:
        return None
    start, end, style = found
    return Block(GAP, path, tuple(lines[start:end + 1]), patch, style)


def path_refusal(diff: FileDiff) -> str | None:
    """Why a file of a diff must not be touched (its path leaves the tree), or None."""
    for path in filter(None, (diff.old_path, diff.new_path)):
        if path.startswith("/") or ".." in path.split("/"):
            return f"refused to apply {path}: the path leaves the tree"
    return None


def framed(pairs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A hunk's post-image with a block comment it starts or ends inside opened or closed, so
    that its words are read as a comment and not as code."""
    if not pairs:
        return pairs
    text = "\n".join(line for _, line in pairs)
    closing = text.find("*/")
    if (closing >= 0 and text.find("/*") not in range(closing)) or _COMMENT_BODY.match(text):
        pairs = [(pairs[0][0] - 1, "/*"), *pairs]
        text = "/*\n" + text
    if text.rfind("/*") > text.rfind("*/"):
        pairs = [*pairs, (pairs[-1][0] + 1, "*/")]
    return pairs


def _blocks_in(post: list[tuple[int, str, str]], path: str, patch: int) -> list[Block]:
    """The blocks a post-image holds in full (a hunk can cut a function or the gap in two)."""
    lines = [(n, text) for n, text, _ in post]
    if path.endswith(".h"):
        helpers, macros = header_blocks(lines, path, patch)
        return [*(b for b in helpers if _whole(b)), *macros]
    if path.endswith(".S"):
        gap = gap_block(lines, path, patch)
        return [gap] if gap else []
    return []


def _whole(block: Block) -> bool:
    return block.lines[-1][1].strip() == "}"


# A blank line or one of a comment (`/*`, ` * words`, `*/`, `//`), which changes no code; a
# dereference (`*(long *)p = v`) is code.
_REMARK = re.compile(r"\s*(?:/\*|\*(?:/|\s|$)|//|$)")
# Lines only the entry-gap block has: the label its kernel-mode test jumps to when there is to
# be no gap (`.Lfrom_usermode_no_gap_\@`), and the v5.2 macro parameter. Every code line of the
# block is within a hunk's three lines of context of the jump or the label; the same test and
# frame copies elsewhere in entry_64.S (paranoid entries, NMI) are not the gap.
_GAP_LINE = re.compile(r"\.L\w*gap\w*|\\create_gap\b")


def _glimpses(diff: FileDiff, patch: int, whole: set[str]) -> list[Glimpse]:
    """Helpers and gap blocks a diff changes in hunks that do not show them whole (`whole`): a
    helper a changed line sits in (the definition above it in the hunk, or the hunk header's),
    the gap when the hunk holds one of its own lines. A helper the diff deletes is not one."""
    seen: dict[str, Glimpse] = {}
    for hunk in diff.hunks:
        inside = []
        if diff.path == TEXT_PATCHING_H:
            current = _defined(hunk.section)
            for ln in hunk.lines:
                # a body is indented: text at the left margin (a `}`, an #endif, a declaration)
                # is at file scope, after the helper the hunk header names
                outside = ln.text[:1] not in ("", " ", "\t", "{")
                current = _defined(ln.text) or (None if outside else current)
                if ln.kind in "+-" and current and not _REMARK.match(ln.text):
                    inside.append((current, ln))
            opened = [(ln.kind, _defined(ln.text)) for ln in hunk.lines]
            gone = {name for kind, name in opened if kind == "-"} - {
                name for kind, name in opened if kind == "+"}
            inside = [(name, ln) for name, ln in inside if name not in gone]
        elif diff.path == ENTRY_64 and any(_GAP_LINE.search(ln.text) for ln in hunk.lines):
            inside = [(GAP, ln) for ln in hunk.lines
                      if ln.kind in "+-" and not _REMARK.match(ln.text)]
        # an added line is where the patched file has the change; a removed one only if none is
        for name, ln in sorted(inside, key=lambda pair: pair[1].kind != "+"):
            if name not in whole and name not in seen:
                seen[name] = Glimpse(patch, name, diff.path, ln.new_line or ln.old_line, ln.at)
    return list(seen.values())


def _defined(text: str) -> str | None:
    """The helper whose definition `text` opens (`void int3_emulate_jmp(struct pt_regs *r…`)."""
    match = _HELPER_CALL.search(text)
    if match and not text.rstrip().endswith(";") and "=" not in text and not text[:1].isspace():
        return match.group(1)
    return None


def added_blocks(patch: Patch) -> set[str]:
    """Names of blocks whose first line a patch adds (so the tree before it has no such block)."""
    names = set()
    for diff in patch.files:
        post = _post_image(diff)
        for block in _blocks_in(post, diff.path, patch.index):
            kinds = {n: kind for n, _, kind in post}
            if kinds.get(block.line) == "+" and block.name not in _removed_names(diff):
                names.add(block.name)
    return names


def _removed_names(diff: FileDiff) -> set[str]:
    """Blocks whose opening line the diff removes."""
    removed = [(ln.old_line, ln.text) for h in diff.hunks for ln in h.lines if ln.kind == "-"]
    if not removed:
        return set()
    if diff.path.endswith(".h"):
        gone = set()
        for _, text in removed:
            match = re.search(r"\b(int3_emulate_\w+)\s*\(", text)
            define = re.match(r"\s*#\s*define\s+([A-Z]\w*)\b", text)
            if match and not text.rstrip().endswith(";") and "=" not in text:
                gone.add(match.group(1))
            if define:
                gone.add(define.group(1))
        return gone
    if diff.path.endswith(".S") and gap_block(removed, diff.path, 0):
        return {GAP}
    return set()


def _post_image(diff: FileDiff) -> list[tuple[int, str, str]]:
    """(new line, text, kind) of every context and added line of a file's hunks."""
    return [(ln.new_line, ln.text, ln.kind) for h in diff.hunks for ln in h.lines
            if ln.kind != "-" and ln.new_line is not None]


def added_uses(diff: FileDiff, patch: int) -> list[Use]:
    return [Use(match.group(1), diff.path, ln.new_line, patch, ln.at)
            for h in diff.hunks for ln in h.lines if ln.kind == "+"
            for match in _HELPER_CALL.finditer(_COMMENT.sub(" ", ln.text))]


def uses_in(text: str, path: str) -> list[Use]:
    """Calls of helpers in a whole file (for a state backed by a tree)."""
    return [Use(match.group(1), path, n, 0, None)
            for n, line in cpre.numbered(_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text))
            for match in _HELPER_CALL.finditer(line)]


def _code_words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(_COMMENT.sub(" ", text)))


def code_has(text: str, name: str) -> bool:
    """Whether `name` occurs as a whole word in the code (not the comments) of `text`."""
    return name in _code_words(text)
