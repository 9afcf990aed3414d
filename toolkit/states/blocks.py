"""The blocks of the int3 path found in C and assembly text: helpers, macros, the entry gap, helper calls.

The text is a whole file of a tree or a hunk's post-image, which may show only part of a block;
what a hunk shows in part is a `PartialBlock`, never a whole one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from toolkit import entryblocks, gapblock
from toolkit.cmodel import header as cheader
from toolkit.cmodel import preprocessor as cpre
from toolkit.series.diff import FileDiff
from toolkit.series.model import Patch
from toolkit.x86 import ENTRY_64, ENTRY_PIECES, TEXT_PATCHING_H

#: The name of the entry-gap block among a state's blocks.
GAP = "entry gap"

# int3_emulate_call(regs, func): a call of a helper, in a handler or in another helper.
_HELPER_CALL = re.compile(r"\b(int3_emulate_\w+)\s*\(")
# A C or assembler block comment, a line comment, or a string literal (kept apart from code).
_COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True, slots=True)
class Block:
    """A helper function, a macro or the entry-gap block as one state has it: its lines (real line
    number, text) in `path`, and the patch that last changed it (0: from the tree or the
    reference) in `changed_by`; `style` is the gap block's macro style (trap_bp or create_gap)."""

    name: str
    path: str
    lines: tuple[tuple[int, str], ...]
    changed_by: int
    style: str | None = None

    @property
    def line(self) -> int:
        return self.lines[0][0]

    def __str__(self) -> str:
        return "".join(f"{text}\n" for _, text in self.lines)


@dataclass(frozen=True, slots=True)
class HelperCall:
    """A call of a helper outside the helper header (a handler using it), and where it stands."""

    helper: str
    path: str
    line: int | None
    patch: int
    at: int | None


@dataclass(frozen=True, slots=True)
class PartialBlock:
    """A helper or the gap block (`name`) that a patch changes in a hunk showing only part of it,
    at the first changed line: without a tree there is no whole block to build from it."""

    patch: int
    name: str
    path: str
    line: int | None
    at: int | None


# --- with a tree: the series applied in a git repository -----------------------------------------


# --- without a tree: hunks over the reference -----------------------------------------------------


def header_blocks(lines: Iterable[tuple[int, str]], path: str, patch: int
                  ) -> tuple[list[Block], list[Block]]:
    """The int3_emulate_* functions of header lines and the object-like macros among them."""
    pairs = tuple(lines)
    model = header_model(pairs, path)
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
def header_model(pairs: tuple[tuple[int, str], ...], path: str):
    """The header model of (real line, text) pairs; the states and the rules read the same
    post-images, which are parsed once."""
    return cheader.parse_lines(pairs, path)


def gap_block(lines: list[tuple[int, str]], path: str, patch: int) -> Block | None:
    """The entry-gap block (`.if` to its `.endif`, with the kernel-mode test inside) among
    assembler lines, or None."""
    found = gapblock.locate([text for _, text in lines])
    if found is None:
        return None
    start, end, style = found
    return Block(GAP, path, tuple(lines[start:end + 1]), patch, style)


def entry_blocks(lines: list[tuple[int, str]], path: str, patch: int) -> list[Block]:
    """The kernel's own entry pieces (x86.ENTRY_PIECES: FIXUP_FRAME, IRET_FRAME, the FRED entry)
    that assembler lines of `path` hold whole, `.macro` to `.endm` or a symbol's start to end."""
    texts = [text for _, text in lines]
    found = []
    for name in ENTRY_PIECES.get(path, ()):
        where = entryblocks.macro(texts, name) or entryblocks.symbol(texts, name)
        if where is not None:
            found.append(Block(name, path, tuple(lines[where[0]:where[1] + 1]), patch))
    return found


def used_macros(pieces: list[Block], lines: list[tuple[int, str]], path: str, patch: int
                ) -> list[Block]:
    """The `.macro` blocks of `path` (its numbered lines) that the entry pieces call, and those
    they call in turn (entryblocks.used_macros): the part of calling.h a FRED entry is built
    with."""
    texts = [text for _, text in lines]
    return [Block(name, path, tuple(lines[start:end + 1]), patch)
            for name, _, start, end in entryblocks.used_macros([str(b) for b in pieces],
                                                               [(path, texts)])]


def close_cut_comments(pairs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A hunk's post-image with a block comment it starts or ends inside opened or closed, so
    that its words are read as a comment and not as code (the header model's own reading of a
    fragment, `cpre.comment_head`, for text that is only searched for words)."""
    if not pairs:
        return pairs
    text = "\n".join(line for _, line in pairs)
    if cpre.comment_head(text):
        pairs = [(pairs[0][0] - 1, "/*"), *pairs]
        text = "/*\n" + text
    if text.rfind("/*") > text.rfind("*/"):
        pairs = [*pairs, (pairs[-1][0] + 1, "*/")]
    return pairs


def blocks_in(post: list[tuple[int, str, str]], path: str, patch: int) -> list[Block]:
    """The blocks a post-image holds in full (a hunk can cut a function or the gap in two).

    Only what the rules judge is modelled: a header's helpers and macros when it is the helper
    header or the hunk defines a helper, the gap block of assembler; any other file of a patch is
    not parsed at all. Each hunk of a header is read on its own, as what lies between two hunks
    is not known."""
    lines = [(n, text) for n, text, _ in post]
    if path.endswith(".h"):
        found = []
        for stretch in cpre.stretches(lines):
            if path == TEXT_PATCHING_H or any(_defined(text) for _, text in stretch):
                helpers, macros = header_blocks(stretch, path, patch)
                found += [*(b for b in helpers if _whole(b)), *macros]
        return found
    if path.endswith(".S"):
        found = []
        for stretch in map(list, cpre.stretches(lines)):
            gap = gap_block(stretch, path, patch)
            found += [*([gap] if gap else []), *entry_blocks(stretch, path, patch)]
        return found
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


def partial_blocks(diff: FileDiff, patch: int, whole: set[str]) -> list[PartialBlock]:
    """Helpers and gap blocks a diff changes in hunks that do not show them whole (`whole`): a
    helper a changed line sits in (the definition above it in the hunk, or the hunk header's),
    the gap when the hunk holds one of its own lines. A helper the diff deletes is not one."""
    seen: dict[str, PartialBlock] = {}
    piece = None    # the entry piece a hunk of entry code ended inside
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
        elif diff.path in ENTRY_PIECES:
            inside, piece = _in_entry_pieces(hunk, ENTRY_PIECES[diff.path], piece)
        # an added line is where the patched file has the change; a removed one only if none is
        for name, ln in sorted(inside, key=lambda pair: pair[1].kind != "+"):
            if name not in whole and name not in seen:
                seen[name] = PartialBlock(patch, name, diff.path, ln.new_line or ln.old_line, ln.at)
    return list(seen.values())


def is_remark(text: str) -> bool:
    """Whether a line is blank or part of a comment, so that it changes no code."""
    return bool(_REMARK.match(text))


def _in_entry_pieces(hunk, names: tuple[str, ...], carried: str | None) -> tuple[list, str | None]:
    """(piece, line) for each changed code line of a hunk of entry_32.S or entry_64_fred.S that
    lies inside one of the entry pieces `names`: the one a `.macro` or symbol-start line of the
    hunk opens, the one the hunk header names, or the one an earlier hunk of the file opened and
    did not close (`carried`), up to its end; and the piece this hunk ends inside. (A `.macro`
    line does not start at the left margin as git's hunk headers want, so a short hunk deep
    inside a macro that no earlier hunk opened names none and is not seen.)"""
    current = entryblocks.opened(hunk.section or "") or carried
    current = current if current in names else None
    inside = []
    for ln in hunk.lines:
        name = entryblocks.opened(ln.text)
        if name:
            current = name if name in names else None
        if ln.kind in "+-" and current and not _REMARK.match(ln.text):
            inside.append((current, ln))
        if entryblocks.closes(ln.text):
            current = None
    return inside, current


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
        post = post_image(diff)
        for block in blocks_in(post, diff.path, patch.index):
            kinds = {n: kind for n, _, kind in post}
            if kinds.get(block.line) == "+" and block.name not in removed_names(diff):
                names.add(block.name)
    return names


def removed_names(diff: FileDiff) -> set[str]:
    """Blocks whose opening line the diff removes."""
    removed = [(ln.old_line, ln.text) for h in diff.hunks for ln in h.lines if ln.kind == "-"]
    if not removed:
        return set()
    # the macros of a header with no helpers (a driver's, an unrelated uapi one) are not the
    # helper header's, even when they share a name
    helpers = diff.path == TEXT_PATCHING_H or any(
        _defined(ln.text) for h in diff.hunks for ln in h.lines)
    if diff.path.endswith(".h") and helpers:
        gone = set()
        for _, text in removed:
            match = re.search(r"\b(int3_emulate_\w+)\s*\(", text)
            define = re.match(r"\s*#\s*define\s+([A-Z]\w*)\b", text)
            if match and not text.rstrip().endswith(";") and "=" not in text:
                gone.add(match.group(1))
            if define:
                gone.add(define.group(1))
        return gone
    if diff.path.endswith(".S"):
        gone = {entryblocks.opened(text) for _, text in removed} & set(
            ENTRY_PIECES.get(diff.path, ()))
        return gone | ({GAP} if gap_block(removed, diff.path, 0) else set())
    return set()


def touched(diff: FileDiff, block: Block) -> bool:
    """Whether the diff adds a line inside `block` (one of its post-image blocks) or removes
    one between two of its lines."""
    return bool(changes_inside(diff, block))


def changes_inside(diff: FileDiff, block: Block) -> list:
    """(diff line, post-image line) of each line the diff adds inside `block` and each it removes
    between two of its lines; a removed line is placed at the post-image line after it."""
    if diff.path != block.path:
        return []
    first, last = block.lines[0][0], block.lines[-1][0]
    found = []
    for hunk in diff.hunks:
        removed = []
        for ln in hunk.lines:
            if ln.kind == "-":
                removed.append(ln)
                continue
            if ln.new_line is not None and first <= ln.new_line <= last:
                if ln.new_line > first:
                    found += [(gone, ln.new_line) for gone in removed]
                if ln.kind == "+":
                    found.append((ln, ln.new_line))
            removed = []
    return found


def post_image(diff: FileDiff) -> list[tuple[int, str, str]]:
    """(new line, text, kind) of every context and added line of a file's hunks."""
    return [(ln.new_line, ln.text, ln.kind) for h in diff.hunks for ln in h.lines
            if ln.kind != "-" and ln.new_line is not None]


def added_uses(diff: FileDiff, patch: int) -> list[HelperCall]:
    return [HelperCall(match.group(1), diff.path, ln.new_line, patch, ln.at)
            for h in diff.hunks for ln in h.lines if ln.kind == "+"
            for match in _HELPER_CALL.finditer(_COMMENT.sub(" ", ln.text))]


def uses_in(text: str, path: str) -> list[HelperCall]:
    """Calls of helpers in a whole file (for a state backed by a tree)."""
    return [HelperCall(match.group(1), path, n, 0, None)
            for n, line in cpre.numbered(_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text))
            for match in _HELPER_CALL.finditer(line)]


def code_words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(_COMMENT.sub(" ", text)))


def code_has(text: str, name: str) -> bool:
    """Whether `name` occurs as a whole word in the code (not the comments) of `text`."""
    return name in code_words(text)
