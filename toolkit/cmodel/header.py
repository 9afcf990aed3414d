"""The model of a kernel C header: its functions, declarations, structs and macros, parsed by pycparser.

`parse_header()` reads a whole header's text and `parse_lines()` any part of one (the post-image
lines of a hunk); `toolkit.cmodel.preprocessor` takes the preprocessor-level view, then pycparser
is handed one top-level chunk (`toolkit.cmodel.chunks`) at a time, so that a construct it cannot
read costs only that chunk, which becomes an `Unparsed` region — as does what a fragment leaves
open. Given a kernel tree, the macros of the headers it includes are read too
(`HeaderModel.followed`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from pycparser import c_ast, c_generator, c_parser

from toolkit.cmodel import constexpr as cexpr
from toolkit.cmodel import includes as cinc
from toolkit.cmodel import preprocessor as cpre
from toolkit.cmodel.chunks import chunks
from toolkit.cmodel.includes import Followed
from toolkit.cmodel.preprocessor import Comment, Conflict, Include, Macro, Region
from toolkit.errors import InputError, ParseError, UsageError

# Kernel type names pycparser must know are types; a header's own typedefs are added as it is read.
# Kept on one line: the `#line` marker after it makes pycparser count the header's lines exactly.
KERNEL_TYPES = ("u8 u16 u32 u64 s8 s16 s32 s64 __u8 __u16 __u32 __u64 __s8 __s16 __s32 __s64 bool "
                "size_t ssize_t ptrdiff_t uintptr_t phys_addr_t gfp_t atomic_t atomic64_t "
                "pteval_t pgprot_t").split()

# Words before a function's name that say how it is stored and inlined, as the kernel spells them.
SPECIFIERS = frozenset(("static", "extern", "inline", "__always_inline", "noinline",
                        "nokprobe_inline", "__inline", "__inline__", "__init", "__exit", "notrace",
                        "noinstr", "__cold", "__weak", "__visible", "asmlinkage", "__must_check"))


@dataclass(frozen=True, slots=True)
class Param:
    name: str | None
    type: str


@dataclass(frozen=True, slots=True)
class Function:
    """A function definition; `body` is pycparser's AST of its compound statement.

    `line`..`end_line` span the whole definition (specifiers to closing brace); `comments` are the
    comment block directly above it and every comment inside it, in order.
    """

    name: str
    return_type: str
    params: tuple[Param, ...]
    specifiers: tuple[str, ...]
    line: int
    end_line: int
    conditions: tuple[str, ...]
    comments: tuple[Comment, ...]
    text: str
    body: Any = field(compare=False, repr=False)
    node: Any = field(compare=False, repr=False)

    @property
    def signature(self) -> str:
        params = ", ".join(p.type if p.name is None else _join_type(p.type, p.name)
                           for p in self.params) or "void"
        return f"{_join_type(' '.join(self.specifiers + (self.return_type,)), self.name)}({params})"

    def __str__(self) -> str:
        return self.text

    @property
    def identifiers(self) -> set[str]:
        """Every identifier the definition uses (called functions, macros, fields, locals)."""
        return _identifiers(self.node)

    def stores_below_saved_sp(self) -> list[int]:
        """Lines (of the parsed text) of `*(T *)P->sp = V` after a `P->sp -= N` (or `P->sp =
        P->sp - N`) in this function: a push emulated on a saved stack pointer."""
        visitor = _StoresBelowSp()
        visitor.visit(self.body)
        return visitor.lines


@dataclass(frozen=True, slots=True)
class Declaration:
    """A declaration that is not a definition: `kind` is 'function' (a prototype), 'variable' or
    'typedef'; `storage` holds the words like `extern` and `static`."""

    kind: str
    name: str
    type: str
    storage: tuple[str, ...]
    line: int
    end_line: int
    conditions: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Field:
    """A member of a struct or union; `members` describes an aggregate defined in place (such as
    an anonymous union), `bits` the width of a bit-field."""

    name: str | None
    type: str
    bits: int | None
    members: Aggregate | None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """A struct or union definition (`name` is None for an anonymous one)."""

    kind: str
    name: str | None
    fields: tuple[Field, ...]
    line: int
    end_line: int
    conditions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unparsed:
    """Text the model could not read as C, and why (pycparser's complaint, position first)."""

    line: int
    end_line: int
    reason: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class HeaderModel:
    """What a header holds. `macros` are its own; with a tree, `followed` has those of the headers
    it includes (and the own macros' values take theirs into account)."""

    path: str
    functions: tuple[Function, ...]
    declarations: tuple[Declaration, ...]
    structs: tuple[Aggregate, ...]
    macros: tuple[Macro, ...]
    includes: tuple[Include, ...]
    regions: tuple[Region, ...]
    comments: tuple[Comment, ...]
    conflicts: tuple[Conflict, ...]
    unparsed: tuple[Unparsed, ...]
    followed: Followed | None = None

    def functions_named(self, name: str) -> tuple[Function, ...]:
        """Every definition of `name` (a header may define one twice, e.g. in #if branches)."""
        return tuple(f for f in self.functions if f.name == name)

    def function(self, name: str) -> Function | None:
        """The first definition of `name`, or None."""
        return next(iter(self.functions_named(name)), None)

    def macro(self, name: str) -> Macro | None:
        """The first definition of macro `name`, the header's own before an included one's, or
        None; `Macro.path` says which file it is in."""
        included = self.followed.macros if self.followed else ()
        return next((m for m in (*self.macros, *included) if m.name == name), None)

    def struct(self, name: str, conditions: Iterable[str] = ()) -> Aggregate | None:
        """The first struct/union called `name` whose conditions include all of `conditions`."""
        wanted = set(conditions)
        return next((s for s in self.structs if s.name == name and wanted <= set(s.conditions)),
                    None)

    def to_dict(self) -> dict:
        """The model as plain data (what `toolkit parse header --format json` prints)."""
        return {
            "path": self.path,
            "functions": [{
                "name": f.name, "line": f.line, "end_line": f.end_line,
                "conditions": list(f.conditions), "specifiers": list(f.specifiers),
                "return_type": f.return_type,
                "params": [{"name": p.name, "type": p.type} for p in f.params],
                "comments": [{"line": c.line, "end_line": c.end_line, "text": c.words}
                             for c in f.comments],
            } for f in self.functions],
            "declarations": [{
                "kind": d.kind, "name": d.name, "type": d.type, "storage": list(d.storage),
                "line": d.line, "conditions": list(d.conditions),
            } for d in self.declarations],
            "structs": [_aggregate_dict(s) for s in self.structs],
            "macros": [{
                "name": m.name, "params": None if m.params is None else list(m.params),
                "body": m.body, "value": m.value, "line": m.line,
                "conditions": list(m.conditions),
            } for m in self.macros],
            "includes": [{"target": i.target, "system": i.system, "line": i.line}
                         for i in self.includes],
            "conditions": [{
                "directive": r.directive, "condition": r.condition, "line": r.line,
                "end_line": r.end_line,
            } for r in self.regions if not r.guard],
            "conflicts": [{"line": c.line, "end_line": c.end_line} for c in self.conflicts],
            "unparsed": [{"line": u.line, "end_line": u.end_line, "reason": u.reason}
                         for u in self.unparsed],
        } | ({} if self.followed is None else {"followed": _followed_dict(self.followed)})


def translation_unit(model: HeaderModel, names: Iterable[str]) -> str:
    """The functions `names` of `model` as a standalone C file: the kernel-type prelude, the
    macros they use, then each function after the functions of `model` it calls.

    The prelude (kernel types, struct pt_regs) is the code generator's `toolkit_prelude.h`.
    """
    generator = c_generator.CGenerator()
    ordered: list[Function] = []
    for name in names:
        function = model.function(name)
        if function is None:
            raise UsageError(f"no function {name!r} in the header", path=model.path)
        _with_callees(model, function, ordered)
    for function in ordered:
        # the model sees inline assembly as the expression 0; emitting that would change the code
        if re.search(r"\b(?:asm|__asm__|__asm)\b", function.text):
            raise ParseError(f"{function.name} contains inline assembly, which cannot be emitted "
                             "back as C", path=model.path, line=function.line)
    used = set().union(*(_identifiers(f.node) for f in ordered))
    macros = [m for m in model.macros if m.name in used]
    out = [f"/* Extracted from {model.path} by toolkit: generated, do not edit. */",
           '#include "toolkit_prelude.h"', ""]
    out.extend(str(m) for m in macros)
    for function in ordered:
        decl = copy.copy(function.node.decl)
        decl.storage, decl.funcspec = [], []
        definition = c_ast.FuncDef(decl, function.node.param_decls, function.node.body)
        out += ["", " ".join(function.specifiers), generator.visit(definition).rstrip("\n")]
    return "\n".join(out) + "\n"


def _with_callees(model: HeaderModel, function: Function, ordered: list[Function]) -> None:
    if function in ordered:
        return
    ordered.append(function)  # placed now so that recursion cannot loop; moved below its callees
    for name in sorted(_identifiers(function.node)):
        callee = model.function(name)
        if callee is not None and callee is not function:
            _with_callees(model, callee, ordered)
    ordered.remove(function)
    ordered.append(function)


class _Names(c_ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_ID(self, node: c_ast.ID) -> None:
        self.names.add(node.name)


def _identifiers(node: c_ast.Node) -> set[str]:
    visitor = _Names()
    visitor.visit(node)
    return visitor.names


class _StoresBelowSp(c_ast.NodeVisitor):
    """Assignments in source order: which `P->sp` were lowered, and stores through them after."""

    def __init__(self) -> None:
        self.lowered: set[str] = set()
        self.lines: list[int] = []

    def visit_Assignment(self, node: c_ast.Assignment) -> None:
        target = _sp_field(node.lvalue)
        if target and (node.op == "-=" or (node.op == "=" and _lowers(node.rvalue, target))):
            self.lowered.add(target)
        elif (node.op == "=" and isinstance(node.lvalue, c_ast.UnaryOp) and node.lvalue.op == "*"
              and _sp_field(_uncast(node.lvalue.expr)) in self.lowered):
            self.lines.append(node.coord.line)
        self.generic_visit(node)


def _sp_field(node: c_ast.Node) -> str | None:
    """'regs' for `regs->sp`, else None."""
    if (isinstance(node, c_ast.StructRef) and node.type == "->" and node.field.name == "sp"
            and isinstance(node.name, c_ast.ID)):
        return node.name.name
    return None


def _uncast(node: c_ast.Node) -> c_ast.Node:
    while isinstance(node, c_ast.Cast):
        node = node.expr
    return node


def _lowers(value: c_ast.Node, target: str) -> bool:
    return (isinstance(value, c_ast.BinaryOp) and value.op == "-"
            and _sp_field(_uncast(value.left)) == target)


def _followed_dict(followed: Followed) -> dict:
    return {
        "tree": followed.tree, "files": list(followed.files),
        "macros": [{"name": m.name, "value": m.value, "path": m.path, "line": m.line}
                   for m in followed.macros],
        "unresolved": [{"target": u.include.target, "path": u.path, "line": u.include.line,
                        "why": u.why} for u in followed.unresolved],
    }


def _aggregate_dict(aggregate: Aggregate) -> dict:
    return {
        "kind": aggregate.kind, "name": aggregate.name, "line": aggregate.line,
        "conditions": list(aggregate.conditions),
        "fields": [{"name": f.name, "type": f.type, "bits": f.bits,
                    "members": None if f.members is None else _aggregate_dict(f.members)}
                   for f in aggregate.fields],
    }


def read_header(path: str, tree: str | None = None) -> HeaderModel:
    """Parse the header file at `path`; with a kernel `tree`, follow its includes there."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as stream:
            text = stream.read()
    except OSError as error:
        raise InputError("cannot read header", path=path, why=error.strerror) from None
    if "\0" in text:
        # Modelling an object file or an image as C would only report one giant unparsed region.
        line = text.count("\n", 0, text.index("\0")) + 1
        raise InputError("not a C header (it holds a NUL byte)", path=path, line=line)
    return parse_header(text, path, tree=tree)


def parse_header(text: str, path: str = "<text>", first_line: int = 1,
                 tree: str | None = None) -> HeaderModel:
    """Model header `text`, the whole of the file `path`, whose first line is line `first_line`
    (a ParseError when it ends inside a comment, which a whole file cannot)."""
    return _modelled(cpre.whole_file(cpre.scan(cpre.numbered(text, first_line), path)), tree)


def parse_lines(lines: Iterable[tuple[int, str]], path: str,
                tree: str | None = None) -> HeaderModel:
    """Model (real line, text) pairs — e.g. a hunk's post-image lines (`DiffLine.new_line`,
    `DiffLine.text`) — reporting every position as a real line. The pairs may be any part of a
    file: what they open or close outside themselves is `unparsed`, never an error.

    With a kernel source `tree` the #includes are followed there (`cinc.follow`): relative to
    the tree, `path` is where a "quoted" include is first looked for."""
    return _modelled(cpre.scan(lines, path), tree)


def _modelled(source: cpre.ScannedText, tree: str | None) -> HeaderModel:
    model = _Reader(source).model()
    if tree is None:
        return model
    followed = cinc.follow(model.includes, tree, source.path, model.macros)
    return replace(model, macros=cinc.with_values(model.macros, followed), followed=followed)


class _Reader:
    def __init__(self, source: cpre.ScannedText) -> None:
        self.source = source
        self.parser = c_parser.CParser()
        self.generator = c_generator.CGenerator()
        self.typedefs = list(KERNEL_TYPES)
        self.functions: list[Function] = []
        self.declarations: list[Declaration] = []
        self.structs: list[Aggregate] = []
        self.unparsed: list[Unparsed] = []
        self.code_lines = source.code.split("\n")
        self.real_index = {real: index for index, real in enumerate(source.lines)}

    def model(self) -> HeaderModel:
        for start, end, text, cut in chunks(self.source.clean):
            if cut:
                self.unparsed.append(Unparsed(
                    self.source.lines[start], self.source.lines[end],
                    f"{self.source.path}:{self.source.lines[start]}: {cut}",
                    self._text(start, end)))
            else:
                self._read_chunk(start, end, text)
        s = self.source
        index = self.real_index
        self.unparsed += [Unparsed(u.line, u.end_line, u.reason,
                                   self._text(index[u.line], index[u.end_line]))
                          for u in s.unknown]
        return HeaderModel(s.path, tuple(self.functions), tuple(self.declarations),
                           tuple(self.structs), s.macros, s.includes, s.regions, s.comments,
                           s.conflicts, tuple(sorted(self.unparsed, key=lambda u: u.line)))

    def _read_chunk(self, start: int, end: int, text: str) -> None:
        # Declaring only the type names the chunk mentions keeps pycparser's work per chunk small.
        known = [name for name in self.typedefs if name in text]
        prelude = " ".join(f"typedef int {name};" for name in known)
        if _nesting(text) > MAX_NESTING:
            # pycparser and every walk of its tree recurse per level: code from a mail could
            # nest its way into a RecursionError
            self._unparsed(start, end, f"nested more than {MAX_NESTING} levels deep")
            return
        try:
            ast = self.parser.parse(f'{prelude}\n# {start + 1} "{self.source.path}"\n{text}',
                                    self.source.path)
        except c_parser.ParseError as error:
            self._unparsed(start, end, str(error))
            return
        nodes = ast.ext[len(known):]
        for node in nodes:
            if isinstance(node, c_ast.FuncDef) and not isinstance(node.decl.type, c_ast.FuncDecl):
                # pycparser reads `void name { ... }` as a definition without parameters; the
                # chunk did not end at that body either, so nothing in it can be placed.
                self._unparsed(start, end, f"{self.source.path}:{node.coord.line}:"
                                           f"{node.coord.column}: {node.decl.name} has a body "
                                           "but no parameter list")
                return
        for node in nodes:
            self._read_node(node, start, end)

    def _unparsed(self, start: int, end: int, message: str) -> None:
        # pycparser says "path:line:col: what" with a cleaned-text line, or only "path: what"
        match = re.match(r".*?:(?:(\d+):(\d+):)? (.*)", message, re.DOTALL)
        line, column, what = match.groups() if match else (None, None, message)
        where = f"{self.source.lines[start]}"
        if line is not None and 0 < int(line) <= len(self.source.lines):
            where = f"{self.source.lines[int(line) - 1]}:{column}"
        self.unparsed.append(Unparsed(self.source.lines[start], self.source.lines[end],
                                      f"{self.source.path}:{where}: {what}",
                                      self._text(start, end)))

    def _text(self, start: int, end: int) -> str:
        return "\n".join(self.code_lines[start:end + 1])

    def _read_node(self, node: c_ast.Node, start: int, end: int) -> None:
        line, end_line = self.source.lines[start], self.source.lines[end]
        conditions = self.source.conditions[start]
        if isinstance(node, c_ast.FuncDef):
            decl = node.decl
            self.functions.append(Function(
                name=decl.name, return_type=self._type(decl.type.type),
                params=self._params(decl.type), specifiers=self._specifiers(start, decl.name),
                line=line, end_line=end_line, conditions=conditions,
                comments=self._comments(start, end), text=self._text(start, end),
                body=node.body, node=node))
        elif isinstance(node, c_ast.Typedef):
            self.typedefs.append(node.name)
            self.declarations.append(Declaration("typedef", node.name, self._type(node.type), (),
                                                 line, end_line, conditions,
                                                 self._text(start, end)))
            self._collect_aggregates(node.type, start, end)
        elif isinstance(node, c_ast.Decl):
            if node.name is not None:
                kind = "function" if isinstance(node.type, c_ast.FuncDecl) else "variable"
                self.declarations.append(Declaration(
                    kind, node.name, self._type(node.type), tuple(node.storage), line, end_line,
                    conditions, self._text(start, end)))
            self._collect_aggregates(node.type, start, end)

    def _collect_aggregates(self, node: c_ast.Node, start: int, end: int) -> None:
        while isinstance(node, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl)):
            node = node.type
        if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls is not None:
            self.structs.append(self._aggregate(node, start, end))

    def _aggregate(self, node: c_ast.Struct | c_ast.Union, start: int, end: int) -> Aggregate:
        fields = []
        for member in node.decls:
            if not isinstance(member, c_ast.Decl):
                continue
            inner = member.type
            while isinstance(inner, (c_ast.TypeDecl, c_ast.ArrayDecl)):
                inner = inner.type
            members = None
            if isinstance(inner, (c_ast.Struct, c_ast.Union)) and inner.decls is not None:
                members = self._aggregate(inner, start, end)
            bits = cexpr.evaluate(self.generator.visit(member.bitsize), {}) \
                if member.bitsize is not None else None
            fields.append(Field(member.name, self._type(member.type), bits, members))
        kind = "union" if isinstance(node, c_ast.Union) else "struct"
        return Aggregate(kind, node.name, tuple(fields), self.source.lines[start],
                         self.source.lines[end], self.source.conditions[start])

    def _type(self, node: c_ast.Node) -> str:
        if isinstance(node, (c_ast.Struct, c_ast.Union)):
            return f"{'union' if isinstance(node, c_ast.Union) else 'struct'} {node.name or ''}" \
                .strip()
        text = self.generator.visit(c_ast.Typename(None, [], None, _without_name(_without_body(node))))
        return " ".join(text.split())

    def _params(self, decl: c_ast.FuncDecl) -> tuple[Param, ...]:
        if decl.args is None:
            return ()
        params = []
        for param in decl.args.params:
            if isinstance(param, c_ast.EllipsisParam):
                params.append(Param(None, "..."))
            elif isinstance(param, (c_ast.Decl, c_ast.Typename)):
                typ = self._type(param.type)
                if param.name is None and typ == "void":
                    continue
                params.append(Param(param.name, typ))
        return tuple(params)

    def _specifiers(self, start: int, name: str) -> tuple[str, ...]:
        # Taken from the text as written: the cleaned text has __always_inline as plain inline.
        code = "\n".join(self.code_lines[start:])
        head = code[:re.search(rf"\b{re.escape(name)}\s*\(", code).start()]
        return tuple(word for word in re.findall(r"[A-Za-z_]\w*", head) if word in SPECIFIERS)

    def _comments(self, start: int, end: int) -> tuple[Comment, ...]:
        lines = self.source.lines
        inside = [c for c in self.source.comments if lines[start] <= c.line <= lines[end]]
        above: list[Comment] = []
        before = start - 1
        for comment in reversed(self.source.comments):
            if comment.line >= lines[start]:
                continue
            if before < 0 or comment.end_line != lines[before]:
                break
            above.insert(0, comment)
            before = self.real_index[comment.line] - 1
        return tuple(above + inside)


#: Brackets deeper than this are not read as C (no helper comes near it).
MAX_NESTING = 200


def _nesting(text: str) -> int:
    """How deep brackets nest in `text` (string literals and comments are already blank)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _without_body(node: c_ast.Node) -> c_ast.Node:
    """`node` with any struct/union body dropped, so a type renders as `struct x`, not its fields."""
    if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls is not None:
        return type(node)(node.name, None)
    if isinstance(node, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl)):
        inner = _without_body(node.type)
        if inner is not node.type:
            node = copy.copy(node)
            node.type = inner
    return node


def _without_name(node: c_ast.Node) -> c_ast.Node:
    """`node` with the declared name taken off its innermost declarator, so it renders as a type
    (`unsigned long *`), the way a cast or a sizeof writes it."""
    if isinstance(node, c_ast.TypeDecl):
        node = copy.copy(node)
        node.declname = None
    elif isinstance(node, (c_ast.PtrDecl, c_ast.ArrayDecl, c_ast.FuncDecl)):
        node = copy.copy(node)
        node.type = _without_name(node.type)
    return node


def _join_type(typ: str, name: str) -> str:
    match = re.fullmatch(r"(.*?)((?:\[[^\]]*\])*)", typ)
    base, arrays = match[1], match[2]
    return f"{base}{name}{arrays}" if base.endswith("*") else f"{base} {name}{arrays}"
