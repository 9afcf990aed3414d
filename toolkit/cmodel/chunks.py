"""Cleaned C text cut into top-level declarations, the units the header model hands pycparser one at a time."""

from __future__ import annotations

import re
from typing import Iterable

# Only braces, parentheses, semicolons and literals matter for finding where a declaration ends.
_STRUCTURE = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[{}();]')


def chunks(clean: str) -> Iterable[tuple[int, int, str, str | None]]:
    """Split cleaned text into top-level declarations: (first line, last line, text, cut) with
    0-based line indexes and the text padded so that its columns are the real ones; `cut` says
    why a chunk is not a whole declaration (text that starts or ends inside one), else None.

    A declaration ends at a `;` outside braces and parentheses, or at the `}` that closes a
    function body (a `{` right after a `)`), which has no `;` after it.
    """
    # Text that starts inside a body or an argument list (a hunk beginning mid-function) has
    # closing braces or parentheses nothing opened: start that many levels deep, so that the
    # tail is one chunk of its own.
    braces, parens = _unopened(clean, "{}"), _unopened(clean, "()")
    cut = None
    if braces:
        cut = "the text starts inside a body opened before it"
    elif parens:
        cut = "the text starts inside a declaration opened before it"
    begin = 0
    function_body = braces > 0
    for match in _STRUCTURE.finditer(clean):
        char = match.group()
        if char == "{":
            if braces == 0:
                function_body = _last_char_before(clean, match.start()) == ")"
            braces += 1
        elif char == "}":
            braces -= 1
        elif char == "(":
            parens += 1
        elif char == ")":
            parens -= 1
        if braces == 0 and parens == 0 and (char == ";" or (char == "}" and function_body)):
            yield (*_chunk(clean, begin, match.end()), cut)
            begin, cut = match.end(), None
    if clean[begin:].strip():
        yield (*_chunk(clean, begin, len(clean.rstrip())), "the text ends inside this declaration")


def _unopened(clean: str, pair: str) -> int:
    """How many of `pair`'s closing bracket the text has more of than it opened, at the most."""
    depth = lowest = 0
    for match in _STRUCTURE.finditer(clean):
        depth += {pair[0]: 1, pair[1]: -1}.get(match.group(), 0)
        lowest = min(lowest, depth)
    return -lowest


def _last_char_before(text: str, offset: int) -> str:
    offset -= 1
    while offset >= 0 and text[offset].isspace():
        offset -= 1
    return text[offset] if offset >= 0 else ""


def _chunk(clean: str, begin: int, end: int) -> tuple[int, int, str]:
    first = begin + len(clean[begin:end]) - len(clean[begin:end].lstrip())
    line_begin = clean.rfind("\n", 0, first) + 1
    return (clean.count("\n", 0, first), clean.count("\n", 0, end - 1),
            " " * (first - line_begin) + clean[first:end])
