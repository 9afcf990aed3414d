"""A header model told as text for a person: functions, macros, regions, unparsed parts, followed includes."""

from __future__ import annotations

import re

from toolkit.cmodel.header import HeaderModel
from toolkit.cmodel.preprocessor import Macro


def describe(model: HeaderModel) -> str:
    """The model as text for a person: one line per function, macro, region and unparsed part."""
    out = [f"{model.path}: {len(model.functions)} functions, {len(model.macros)} macros, "
           f"{len(model.unparsed)} unparsed"]
    for f in model.functions:
        where = f"  under {' && '.join(f.conditions)}" if f.conditions else ""
        out.append(f"  {f.line}-{f.end_line}  {f.signature}{where}")
        out.extend(f"      comment {c.line}-{c.end_line}: {c.words.splitlines()[0] if c.words else ''}"
                   for c in f.comments)
    out.extend(f"  {m.line}  {_define(m)}" for m in model.macros)
    for r in model.regions:
        if not r.guard:
            out.append(f"  {r.line}-{r.end_line}  {r.condition}  (#{r.directive})")
    for c in model.conflicts:
        out.append(f"  {c.line}-{c.end_line}  unresolved merge conflict")
    for u in model.unparsed:
        out.append(f"  {u.line}-{u.end_line}  unparsed: {u.reason}")
    if model.followed is not None:
        out.extend(_describe_followed(model))
    return "\n".join(out) + "\n"


def _describe_followed(model: HeaderModel) -> list[str]:
    """The includes followed: a count, what could not be followed, and where the included macros
    that the header's functions and macros use are defined."""
    followed = model.followed
    out = [f"includes followed in {followed.tree}: {len(followed.files)} headers, "
           f"{len(followed.macros)} macros, {len(followed.unresolved)} unresolved"]
    out.extend(f"  {u.path}:{u.include.line}  {u.include}  unresolved: {u.why}"
               for u in followed.unresolved)
    used = set().union(*(f.identifiers for f in model.functions),
                       *(re.findall(r"[A-Za-z_]\w*", m.body) for m in model.macros))
    own = {m.name for m in model.macros}
    # a heading of their own, or they read as more of the unresolved list above them
    out.append("included macros the header uses:")
    for name in sorted(used - own):
        macro = model.macro(name)
        if macro is not None:
            where = f"  under {' && '.join(macro.conditions)}" if macro.conditions else ""
            out.append(f"  {macro.path}:{macro.line}  {_define(macro)}{where}")
    return out


def _define(m: Macro) -> str:
    value = "" if m.value is None or m.body == str(m.value) else f"  (= {m.value})"
    params = "" if m.params is None else f"({', '.join(m.params)})"
    return f"#define {m.name}{params} {m.body}".rstrip() + value
