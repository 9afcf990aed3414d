"""The preprocessor-level view of C header text: comments, macros, includes and #if regions, with a
cleaned copy of the code that a C parser can read and a map from its lines back to the real ones.

Nothing here runs a preprocessor: every branch of every #if stays in the text, because a review
needs to see all of them. Directive and comment lines become blank lines (never removed), so line
*k* of the cleaned text is always `lines[k - 1]` of the real file. Given a kernel tree, `follow()`
reads the `#define`s of the headers the text includes, as kbuild would find them for x86.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, replace
from typing import Iterable

from toolkit.cmodel.constexpr import evaluate
from toolkit.errors import InputError, ParseError
from toolkit.x86 import INCLUDE_PATH


@dataclass(frozen=True, slots=True)
class Comment:
    """A `/* ... */` or `// ...` comment as written, and the real lines it spans."""

    text: str
    line: int
    end_line: int

    @property
    def words(self) -> str:
        """The comment's prose: delimiters and the leading `*` of each line removed."""
        body = self.text[2:-2] if self.text.startswith("/*") else self.text[2:]
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
class ScannedText:
    """Header text split into what a C parser can read and what it cannot.

    `clean` has comments, directives and conflict markers blanked and kernel attributes
    neutralised, column for column; `code` is the same before neutralising (the attributes as
    written). `lines[k - 1]` is the real line of line k of both; `conditions[k - 1]` the #if terms
    that line sits under (include guards left out).
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


# A block or line comment, or a string/char literal (so that "/*" inside a string is not a comment).
_COMMENT_OR_LITERAL = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                                 re.DOTALL)
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


def scan(lines: Iterable[tuple[int, str]], path: str) -> ScannedText:
    """Build the preprocessor-level view of `lines`, (real line number, text) pairs in order.

    The pairs may skip numbers (a hunk post-image without its removed lines); every position the
    result reports is a real line from them.
    """
    pairs = [(number, text.rstrip("\r")) for number, text in lines]
    real = tuple(number for number, _ in pairs)
    text = "\n".join(line for _, line in pairs)
    comments, code = _split_comments(text, real, path)
    code_lines = code.split("\n")
    directives = _Directives(path, real)
    clean_lines = list(code_lines)
    index = 0
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
        directives.handle(logical.lstrip()[1:].strip(), original, first, index)
        index += 1
    directives.finish(len(code_lines))
    code = "\n".join(clean_lines)
    return ScannedText(path=path, clean=_neutralise(code), code=code, lines=real,
                  conditions=tuple(directives.line_terms), comments=tuple(comments),
                  macros=directives.macros(), includes=tuple(directives.includes),
                  regions=tuple(sorted(directives.regions, key=lambda r: r.line)),
                  conflicts=tuple(directives.conflicts))


def _split_comments(text: str, real: tuple[int, ...], path: str) -> tuple[list[Comment], str]:
    comments = []
    pieces = []
    last = 0
    for match in _COMMENT_OR_LITERAL.finditer(text):
        token = match.group()
        if token[0] in "\"'":
            continue
        start = text.count("\n", 0, match.start())
        end = start + token.count("\n")
        comments.append(Comment(token, real[start], real[end]))
        pieces.append(text[last:match.start()])
        pieces.append(re.sub(r"[^\n]", " ", token))
        last = match.end()
    pieces.append(text[last:])
    code = "".join(pieces)
    opened = code.find("/*")
    if opened >= 0 and not _inside_literal(code, opened):
        raise ParseError("comment is never closed", path=path,
                         line=real[code.count("\n", 0, opened)], why="no '*/' after this '/*'")
    return comments, code


def _inside_literal(code: str, offset: int) -> bool:
    line_start = code.rfind("\n", 0, offset) + 1
    return code.count('"', line_start, offset) % 2 == 1


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

    def handle(self, directive: str, original: str, first: int, last: int) -> None:
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
                raise ParseError("#define without a macro name", path=self.path,
                                 line=self.real[first])
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
        bodies = {name: body for name, params, body, *_ in self.defines if params is None}
        return tuple(Macro(name, params, body, line, end, terms,
                           evaluate(body, bodies) if params is None and evaluated else None,
                           original, self.path)
                     for name, params, body, line, end, terms, original in self.defines)


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


# --- following #includes through a kernel tree ---------------------------------------------------

#: How many #includes deep following goes. Depth first, as the preprocessor reads them, all of
#: text-patching.h's includes lie within 16 of it in v6.1 and v6.12; the bound only stops a
#: pathological tree.
INCLUDE_DEPTH = 20

# A directive with its continuation lines, in text whose comments are blanked: `#define A \`
_DIRECTIVE_LINES = re.compile(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", re.M)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An #include in the file `path` (tree-relative, unless it is the followed header outside
    the tree) that following did not take, and why."""

    include: Include
    path: str
    why: str


@dataclass(frozen=True, slots=True)
class Followed:
    """What following a header's #includes through `tree` read: the tree-relative `files` in the
    order the preprocessor first includes them, their `macros` in that order (each knows its file
    and line), and the includes it could not take."""

    tree: str
    files: tuple[str, ...]
    macros: tuple[Macro, ...]
    unresolved: tuple[Unresolved, ...]


def follow(includes: Iterable[Include], tree: str, path: str,
           known: Iterable[Macro] = ()) -> Followed:
    """Follow `includes`, those of the file `path`, through the kernel source `tree`, reading only
    the `#define`s of each header reached (once, as an include guard would have it).

    Macro values are worked out over everything reached: the `known` macros (the including
    text's own) first, then the first definition of each name in include order.
    """
    if not os.path.isdir(tree):
        raise InputError("no kernel tree here (not a directory)", path=tree)
    root = os.path.realpath(tree)
    inside = os.path.relpath(os.path.realpath(path), root)
    reader = _Follower(root, path)
    reader.visit(tuple(includes), None if inside.startswith("..") else inside, 1)
    late = tuple(u for found, u in reader.too_deep if found not in reader.seen)
    macros = _evaluated(tuple(reader.macros), first=tuple(known))
    return Followed(tree, tuple(reader.files), macros, tuple(reader.unresolved) + late)


def with_values(macros: Iterable[Macro], followed: Followed) -> tuple[Macro, ...]:
    """`macros` with the values their bodies have once the followed headers' macros are known."""
    return _evaluated(tuple(macros), after=followed.macros)


def _evaluated(macros: tuple[Macro, ...], first: tuple[Macro, ...] = (),
               after: tuple[Macro, ...] = ()) -> tuple[Macro, ...]:
    """`macros` with values from the first body of each name in `first`, `macros`, `after`."""
    bodies: dict[str, str] = {}
    for macro in (*first, *macros, *after):
        if macro.params is None:
            bodies.setdefault(macro.name, macro.body)
    return tuple(replace(m, value=evaluate(m.body, bodies)) if m.params is None else m
                 for m in macros)


class _Follower:
    """A depth-first walk over the includes, the preprocessor's order."""

    def __init__(self, root: str, header: str) -> None:
        self.root = root
        self.header = header
        self.seen: set[str] = set()
        self.files: list[str] = []
        self.macros: list[Macro] = []
        self.unresolved: list[Unresolved] = []
        self.too_deep: list[tuple[str, Unresolved]] = []

    def visit(self, includes: tuple[Include, ...], where: str | None, depth: int) -> None:
        """Read what `includes`, those of the tree-relative file `where` (None: the followed
        header, outside the tree), bring in, `depth` levels below the followed header."""
        holder = where or self.header
        for include in includes:
            found = self._resolve(include, where)
            if found is None:
                self.unresolved.append(Unresolved(include, holder,
                                                  "not on the tree's x86 include path"))
            elif found in self.seen:
                continue
            elif depth > INCLUDE_DEPTH:
                self.too_deep.append((found, Unresolved(
                    include, holder, f"deeper than {INCLUDE_DEPTH} levels of #include")))
            else:
                self.seen.add(found)
                try:
                    macros, nested = _definitions(os.path.join(self.root, found), found)
                except (OSError, UnicodeDecodeError, ParseError) as error:
                    self.unresolved.append(Unresolved(include, holder,
                                                      f"{found} cannot be read: {error}"))
                    continue
                self.files.append(found)
                self.macros.extend(macros)
                self.visit(nested, found, depth + 1)

    def _resolve(self, include: Include, where: str | None) -> str | None:
        # "file.h" is looked for beside the including file first, <file.h> only on the path.
        beside = () if include.system or where is None else (os.path.dirname(where),)
        for folder in (*beside, *INCLUDE_PATH):
            candidate = os.path.normpath(os.path.join(folder, include.target))
            if not candidate.startswith("..") and not os.path.isabs(candidate) \
                    and os.path.isfile(os.path.join(self.root, candidate)):
                return candidate
        return None


def _definitions(file: str, path: str) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    status = os.stat(file)
    return _cached_definitions(file, path, status.st_mtime_ns, status.st_size)


# Per file and version of it: one model of a tree reads the same few hundred headers as the last.
@functools.lru_cache(maxsize=4096)
def _cached_definitions(file: str, path: str, _mtime: int,
                        _size: int) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    with open(file, encoding="utf-8", errors="surrogateescape") as stream:
        text = stream.read()
    return _directives_of(text, path)


def _directives_of(text: str, path: str) -> tuple[tuple[Macro, ...], tuple[Include, ...]]:
    """The `#define`s (without values) and `#include`s of header `text`: the part of `scan()`
    that an included header needs, without the work on its C code."""
    lines = text.split("\n")
    real = tuple(range(1, len(lines) + 1))
    _, code = _split_comments(text, real, path)
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
