"""The preprocessor-level view of C header text: comments, macros, includes and #if regions, with a
cleaned copy of the code that a C parser can read and a map from its lines back to the real ones.

Nothing here runs a preprocessor: every branch of every #if stays in the text, because a review
needs to see all of them. Directive and comment lines become blank lines (never removed), so line
*k* of the cleaned text is always `lines[k - 1]` of the real file. The text may be a fragment (a
hunk): a comment, #if or #define that it opens or closes outside itself is read as far as it goes
and listed as `Unknown`, never an error. `directives_of()` reads only the `#define`s and
`#include`s of a whole header, which is what following includes (`toolkit.cmodel.includes`) needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from toolkit.cmodel.constexpr import evaluate
from toolkit.errors import ParseError


@dataclass(frozen=True, slots=True)
class Comment:
    """A `/* ... */` or `// ...` comment as written, and the real lines it spans; in a fragment
    the text may show only part of one (`cut`)."""

    text: str
    line: int
    end_line: int

    @property
    def cut(self) -> bool:
        """Whether the comment opens before the text or closes after it."""
        if self.text.startswith("//"):
            return False
        return not (len(self.text) >= 4 and self.text.startswith("/*") and self.text.endswith("*/"))

    @property
    def words(self) -> str:
        """The comment's prose: delimiters and the leading `*` of each line removed."""
        body = self.text[2:] if self.text.startswith(("/*", "//")) else self.text
        if not self.text.startswith("//") and body.endswith("*/"):
            body = body[:-2]
        lines = (re.sub(r"^\s*\*?\s?", "", part).rstrip() for part in body.splitlines())
        return "\n".join(lines).strip()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Macro:
    """A `#define` at `line` of the file `path`: `params` is None for an object-like macro;
    `value` is set where the body is an integer constant expression (possibly through other
    macros of the same text, or of the headers it includes when they were followed)."""

    name: str
    params: tuple[str, ...] | None
    body: str
    line: int
    end_line: int
    conditions: tuple[str, ...]
    value: int | None
    text: str
    path: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Include:
    target: str
    system: bool
    line: int
    conditions: tuple[str, ...]

    def __str__(self) -> str:
        return f"#include <{self.target}>" if self.system else f'#include "{self.target}"'


@dataclass(frozen=True, slots=True)
class Region:
    """One branch of a conditional block: `#ifdef X` up to its `#else`, the `#else` up to the `#endif`.

    `condition` is this branch's own test ("X", "!X", "A && B"); `terms` is what must hold for its
    lines to be compiled (an `#else` after `#ifdef A` / `#elif B` has the terms "!A", "!B").
    A branch cut off by the end of the text (a hunk post-image) ends on the last line.
    """

    directive: str
    condition: str
    terms: tuple[str, ...]
    line: int
    end_line: int
    guard: bool


@dataclass(frozen=True, slots=True)
class Conflict:
    """Unresolved merge-conflict markers: `<<<<<<<` on `line` to `>>>>>>>` on `end_line`."""

    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """Real lines `line`..`end_line` whose meaning the text does not settle — a comment, #if or
    #define continued from before the text or past its end, or a directive that cannot be read —
    and why, position first."""

    line: int
    end_line: int
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class ScannedText:
    """Header text split into what a C parser can read and what it cannot.

    `clean` has comments, directives and conflict markers blanked and kernel attributes
    neutralised, column for column; `code` is the same before neutralising (the attributes as
    written). `lines[k - 1]` is the real line of line k of both; `conditions[k - 1]` the #if terms
    that line sits under (include guards left out; in a fragment, those it shows: an `#endif`
    whose `#if` is above the text closes nothing). `unknown` lists what a fragment leaves open.
    """

    path: str
    clean: str
    code: str
    lines: tuple[int, ...]
    conditions: tuple[tuple[str, ...], ...]
    comments: tuple[Comment, ...]
    macros: tuple[Macro, ...]
    includes: tuple[Include, ...]
    regions: tuple[Region, ...]
    conflicts: tuple[Conflict, ...]
    unknown: tuple[Unknown, ...] = ()


def whole_file(source: ScannedText) -> ScannedText:
    """`source`, checked as the whole of a file: a fragment may end inside a comment, but a file
    that does is broken, and the error names the line of its `/*`."""
    _refuse_unclosed(source.comments, source.path)
    return source


def _refuse_unclosed(comments: list[Comment] | tuple[Comment, ...], path: str) -> None:
    last = comments[-1] if comments else None
    if last is not None and last.cut and last.text.startswith("/*"):
        raise ParseError("comment is never closed", path=path, line=last.line,
                         why="no '*/' after this '/*'")


# A block or line comment, or a string/char literal (so that "/*" inside a string is not a comment);
# a block comment the text ends inside runs to the end.
_COMMENT_OR_LITERAL = re.compile(r'/\*.*?(?:\*/|\Z)|//[^\n]*|"(?:\\.|[^"\\\n])*"'
                                 r'|\'(?:\\.|[^\'\\\n])*\'', re.DOTALL)
# `# define NAME(a, b) body` — a function-like macro has "(" right after its name.
_DEFINE = re.compile(r"(?P<name>[A-Za-z_]\w*)(?:\((?P<params>[^)]*)\))?\s*(?P<body>.*)", re.DOTALL)
# `#include <linux/types.h>` or `#include "foo.h"`
_INCLUDE = re.compile(r'\s*(?:<(?P<system>[^>]+)>|"(?P<local>[^"]+)")')
# Git's conflict markers, e.g. `<<<<<<< HEAD`, `=======`, `>>>>>>> topic`
_CONFLICT = re.compile(r"(<{7}|\|{7}|={7}|>{7})(?:\s|$)")
_IDENTIFIER = re.compile(r"!?[A-Za-z_]\w*")

# Kernel words that only annotate a declaration (section, sparse, instrumentation, visibility);
# a C parser must not see them, and leaving them out changes no declaration.
_ANNOTATIONS = (
    "__ro_after_init __read_mostly __init __exit __initdata __initconst __ref __cold __hot "
    "__weak __visible __used __maybe_unused __always_unused __must_check __noreturn noinstr "
    "notrace __user __kernel __iomem __percpu __rcu __force __bitwise __packed __pure "
    "__noclone __nocfi __flatten asmlinkage __latent_entropy __randomize_layout "
    "__no_kcsan __no_sanitize_address __noinstr_section __nostackprotector __always_used"
).split()
# Annotations that take an argument list, e.g. `__aligned(8)`, `__attribute__((packed))`.
_ANNOTATION_CALLS = ("__attribute__ __attribute __aligned __section __printf __scanf __alias "
                     "__diag_ignore __cleanup __counted_by").split()
# Spellings of "inline" a C parser knows only as plain `inline`.
_INLINES = ("__always_inline", "nokprobe_inline", "__inline__", "__inline", "noinline")
# Inline assembly: becomes the expression 0, so `asm volatile(...);` stays a statement.
_ASM = re.compile(r"\b(?:asm|__asm__|__asm)\b(?:\s+(?:volatile|__volatile__|goto|inline))*\s*(?=\()")
_WORDS = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, _ANNOTATIONS)))
_CALLS = re.compile(r"\b(?:%s)\s*(?=\()" % "|".join(map(re.escape, _ANNOTATION_CALLS)))
_INLINE = re.compile(r"\b(?:%s)\b" % "|".join(_INLINES))


def numbered(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """`text` as (real line, text) pairs, the first being `first_line`."""
    return list(enumerate(text.splitlines(), first_line))


def stretches(pairs: Iterable[tuple[int, str]]) -> list[tuple[tuple[int, str], ...]]:
    """(real line, text) pairs cut where the numbers jump: each piece is one stretch of the file
    (the post-image of one hunk), to be read on its own, since what lies between is not known."""
    pieces: list[list[tuple[int, str]]] = []
    for number, text in pairs:
        if not pieces or number != pieces[-1][-1][0] + 1:
            pieces.append([])
        pieces[-1].append((number, text))
    return [tuple(piece) for piece in pieces]


def scan(lines: Iterable[tuple[int, str]], path: str) -> ScannedText:
    """Build the preprocessor-level view of `lines`, (real line number, text) pairs in order.

    The pairs may skip numbers (a hunk post-image without its removed lines); every position the
    result reports is a real line from them. They may be any part of a file: what is opened or
    closed outside them is read as far as it goes and listed in `unknown`; nothing raises.
    """
    pairs = [(number, text.rstrip("\r")) for number, text in lines]
    real = tuple(number for number, _ in pairs)
    text = "\n".join(line for _, line in pairs)
    comments, code, unknown = _split_comments(text, real, path)
    code_lines = code.split("\n")
    directives = _Directives(path, real)
    clean_lines = list(code_lines)
    index = _continued_head(code_lines)
    if index:
        # the tail of a directive whose first line is above the text: not C, and not readable
        clean_lines[:index] = [""] * index
        directives.unknown.append(Unknown(real[0], real[index - 1], f"{path}:{real[0]}: continues "
                                          "a directive that starts before the text"))
        for blank in range(index):
            directives.note_line(blank)
    while index < len(code_lines):
        line = code_lines[index]
        if _CONFLICT.match(line):
            directives.conflict_marker(line[0], index)
            clean_lines[index] = ""
            index += 1
            continue
        if not line.lstrip().startswith("#"):
            directives.note_line(index)
            index += 1
            continue
        first = index
        logical = line
        while logical.endswith("\\") and index + 1 < len(code_lines):
            index += 1
            logical = logical[:-1] + "\n" + code_lines[index]
        for blank in range(first, index + 1):
            clean_lines[blank] = ""
        original = "\n".join(pairs[k][1] for k in range(first, index + 1))
        directives.handle(logical.lstrip()[1:].strip(), original, first, index,
                          cut=logical.endswith("\\"))
        index += 1
    directives.finish(len(code_lines))
    code = "\n".join(clean_lines)
    unknown += directives.unknown
    return ScannedText(path=path, clean=_neutralise(code), code=code, lines=real,
                  conditions=tuple(directives.line_terms), comments=tuple(comments),
                  macros=directives.macros(), includes=tuple(directives.includes),
                  regions=tuple(sorted(directives.regions, key=lambda r: r.line)),
                  conflicts=tuple(directives.conflicts),
                  unknown=tuple(sorted(unknown, key=lambda u: u.line)))


def _split_comments(text: str, real: tuple[int, ...], path: str
                    ) -> tuple[list[Comment], str, list[Unknown]]:
    """The comments of `text`, the text with them blanked, and the comments it shows only part of."""
    comments: list[Comment] = []
    unknown: list[Unknown] = []
    pieces = []
    last = comment_head(text)
    if last:
        end = real[text.count("\n", 0, last)]
        comments.append(Comment(text[:last], real[0], end))
        pieces.append(re.sub(r"[^\n]", " ", text[:last]))
        unknown.append(Unknown(real[0], end, f"{path}:{real[0]}: the text starts inside a comment "
                                             "opened before it"))
    for match in _COMMENT_OR_LITERAL.finditer(text, last):
        token = match.group()
        if token[0] in "\"'":
            continue
        start = text.count("\n", 0, match.start())
        end = start + token.count("\n")
        comments.append(Comment(token, real[start], real[end]))
        if comments[-1].cut:
            unknown.append(Unknown(real[start], real[end], f"{path}:{real[start]}: comment is "
                                   "never closed (no '*/' after this '/*'): the text ends in it"))
        pieces.append(text[last:match.start()])
        pieces.append(re.sub(r"[^\n]", " ", token))
        last = match.end()
    pieces.append(text[last:])
    return comments, "".join(pieces), unknown


# ` * words`, ` *`: a line inside a block comment (`*p = v;`, a store, is code).
_COMMENT_BODY = re.compile(r"[ \t]*\*(?:[ \t]|$)")


def comment_head(text: str) -> int:
    """Where a comment that `text` starts inside (one opened before it) ends: just past its `*/`,
    or the end of the text when no `*/` comes; 0 when the text starts in code.

    Comments do not nest, so a `*/` before any `/*` closes one opened before the text; with no
    `*/` at all, text whose lines all read as a comment's (` * words`) is taken to be inside one.
    """
    closing, opening = _outside_strings(text, "*/"), _outside_strings(text, "/*")
    if closing is not None and (opening is None or closing < opening):
        return closing + 2
    if closing is None:
        shown = [line for line in text[:opening].split("\n") if line.strip()]
        if shown and all(_COMMENT_BODY.match(line) for line in shown):
            return len(text)
    return 0


def _outside_strings(text: str, token: str) -> int | None:
    """The first offset of `token` that is not inside a string literal or a `//` comment of its
    line."""
    offset = text.find(token)
    while offset >= 0:
        before = text[text.rfind("\n", 0, offset) + 1:offset]
        if before.count('"') % 2 == 0 and "//" not in before:
            return offset
        offset = text.find(token, offset + 1)
    return None


def _continued_head(code_lines: list[str]) -> int:
    """How many lines at the start continue a directive whose first line is above the text: the
    lines that end in a backslash, and the one that ends the directive."""
    count = 0
    while count < len(code_lines) and code_lines[count].rstrip().endswith("\\") \
            and not code_lines[count].lstrip().startswith("#"):
        count += 1
    return count + 1 if 0 < count < len(code_lines) else count


class _Directives:
    """Walks the directives in order, keeping the stack of open #if branches."""

    def __init__(self, path: str, real: tuple[int, ...], per_line: bool = True) -> None:
        self.path = path
        self.real = real
        self.per_line = per_line        # keep the conditions of every line, not only of directives
        # one frame per open #if: [directive, own condition, earlier branch conditions, start, guard]
        self.stack: list[list] = []
        self.line_terms: list[tuple[str, ...]] = []
        self.regions: list[Region] = []
        self.includes: list[Include] = []
        self.defines: list[tuple] = []
        self.conflicts: list[Conflict] = []
        self.conflict_start: int | None = None
        self.pending_guard: str | None = None
        self.unknown: list[Unknown] = []
        self.cut_defines: set[int] = set()   # defines whose body goes on past the text

    def terms(self) -> tuple[str, ...]:
        out: list[str] = []
        for directive, condition, earlier, _, guard in self.stack:
            if not guard:
                out.extend(_negate(c) for c in earlier)
                if directive != "else":
                    out.append(condition)
        return tuple(out)

    def note_line(self, index: int) -> None:
        if not self.per_line:
            return
        while len(self.line_terms) < index:
            self.line_terms.append(self.terms())
        self.line_terms.append(self.terms())

    def conflict_marker(self, kind: str, index: int) -> None:
        self.note_line(index)
        if kind == "<":
            self.conflict_start = index
        elif kind == ">":
            start = self.conflict_start if self.conflict_start is not None else index
            self.conflicts.append(Conflict(self.real[start], self.real[index]))
            self.conflict_start = None

    def handle(self, directive: str, original: str, first: int, last: int,
               cut: bool = False) -> None:
        """Take one directive on lines `first`..`last`; `cut`: its continuation lines go on past
        the end of the text."""
        for index in range(first, last + 1):
            self.note_line(index)
        keyword, rest = _split_keyword(directive)
        guard, self.pending_guard = self.pending_guard, None
        if keyword in ("if", "ifdef", "ifndef"):
            condition = _condition(keyword, rest)
            self.stack.append([keyword, condition, [], first, False])
            if keyword == "ifndef" and len(self.stack) == 1:
                self.pending_guard = rest.strip()
        elif keyword in ("elif", "else") and self.stack:
            self._close(first)
            frame = self.stack[-1]
            if frame[0] != "else":
                frame[2].append(frame[1])
            frame[0], frame[1], frame[3] = keyword, _condition("if", rest) if rest else "", first
        elif keyword == "endif" and self.stack:
            self._close(first)
            self.stack.pop()
        elif keyword == "define":
            match = _DEFINE.match(rest.strip())
            if match is None:
                self._unknown(first, last, "#define without a macro name")
                return
            if cut:
                self.cut_defines.add(len(self.defines))
                self._unknown(first, last, f"#define {match['name']} goes on past the end of "
                                           "the text: its body is not known")
            name = match["name"]
            if guard == name and not match["body"].strip():
                self.stack[-1][4] = True
            params = None
            if match["params"] is not None:
                params = tuple(p.strip() for p in match["params"].split(",") if p.strip())
            self.defines.append((name, params, " ".join(match["body"].split()),
                                 self.real[first], self.real[last], self.terms(), original))
        elif keyword == "include":
            match = _INCLUDE.match(rest)
            if match is not None:
                self.includes.append(Include(match["system"] or match["local"],
                                             match["system"] is not None, self.real[first],
                                             self.terms()))

    def _unknown(self, first: int, last: int, why: str) -> None:
        self.unknown.append(Unknown(self.real[first], self.real[last],
                                    f"{self.path}:{self.real[first]}: {why}"))

    def _close(self, before: int) -> None:
        directive, condition, earlier, start, guard = self.stack[-1]
        if directive != "else":
            own = condition
        elif len(earlier) == 1:
            own = _negate(earlier[0])
        else:
            own = "!(" + " || ".join(c if _IDENTIFIER.fullmatch(c) else f"({c})"
                                     for c in earlier) + ")"
        terms = tuple(_negate(c) for c in earlier) + ((condition,) if directive != "else" else ())
        self.regions.append(Region(directive, own, terms, self.real[start],
                                   self.real[before], guard))

    def finish(self, count: int) -> None:
        while len(self.line_terms) < count:
            self.line_terms.append(self.terms())
        while self.stack:
            self._close(count - 1)
            self.stack.pop()

    def macros(self, evaluated: bool = True) -> tuple[Macro, ...]:
        # a body the text shows only the start of has no value, and gives none to others
        known = [(k in self.cut_defines, define) for k, define in enumerate(self.defines)]
        bodies = {name: body for cut, (name, params, body, *_) in known
                  if params is None and not cut}
        values: dict[str, int | None] = {}
        return tuple(Macro(name, params, body, line, end, terms,
                           evaluate(body, bodies, values) if params is None and evaluated
                           and not cut
                           else None, original, self.path)
                     for cut, (name, params, body, line, end, terms, original) in known)


def _split_keyword(directive: str) -> tuple[str, str]:
    match = re.match(r"([a-z_]+)\s*(.*)", directive, re.DOTALL)
    return (match[1], match[2].strip()) if match else ("", directive)


def _condition(keyword: str, rest: str) -> str:
    rest = " ".join(rest.split())
    if keyword == "ifdef":
        return rest
    if keyword == "ifndef":
        return "!" + rest
    simple = re.fullmatch(r"(!?)\s*defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?", rest)
    return simple[1] + simple[2] if simple else rest


def _negate(condition: str) -> str:
    if _IDENTIFIER.fullmatch(condition):
        return condition[1:] if condition.startswith("!") else "!" + condition
    return f"!({condition})"


def _neutralise(code: str) -> str:
    """Hide kernel annotations and inline assembly from the C parser, keeping every column."""
    code = _WORDS.sub(lambda m: " " * len(m.group()), code)
    code = _INLINE.sub(lambda m: "inline".ljust(len(m.group())), code)
    for pattern, replacement in ((_CALLS, ""), (_ASM, "0")):
        pieces = []
        last = 0
        for match in pattern.finditer(code):
            if match.start() < last:
                continue
            end = _matching_paren(code, match.end())
            if end is None:
                continue
            span = code[match.start():end]
            pieces.append(code[last:match.start()])
            pieces.append(replacement + re.sub(r"[^\n]", " ", span[len(replacement):]))
            last = end
        pieces.append(code[last:])
        code = "".join(pieces)
    return code


def _matching_paren(code: str, start: int) -> int | None:
    """The offset just past the parenthesis that closes the one at `start`."""
    depth = 0
    for offset in range(start, len(code)):
        char = code[offset]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return offset + 1
    return None


# A directive with its continuation lines, in text whose comments are blanked: `#define A \`
_DIRECTIVE_LINES = re.compile(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", re.M)


def directives_of(text: str, path: str) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    """The `#define`s (without values) and `#include`s of the whole header `text`: the part of
    `scan()` that an included header needs, without the work on its C code."""
    lines = text.split("\n")
    real = tuple(range(1, len(lines) + 1))
    comments, code, _ = _split_comments(text, real, path)
    _refuse_unclosed(comments, path)
    directives = _Directives(path, real, per_line=False)
    index = offset = 0
    for match in _DIRECTIVE_LINES.finditer(code):
        index += code.count("\n", offset, match.start())
        offset = match.start()
        logical = match.group().replace("\\\n", "\n")
        last = index + match.group().count("\n")
        directives.handle(logical.lstrip()[1:].strip(), "\n".join(lines[index:last + 1]),
                          index, last)
    return directives.macros(evaluated=False), tuple(directives.includes)
