"""Plain-data projections of a header model, shared by the header tests and their golden files."""

import re
from pathlib import Path

from toolkit.cmodel import header as cheader

HEADERS = Path(__file__).parent / "data" / "headers"


def projection(model: cheader.HeaderModel) -> dict:
    """What a golden file records: positions, conditions, values — not pycparser's objects."""
    return {
        "functions": [[f.name, f.line, f.end_line, list(f.conditions), list(f.specifiers),
                       [[c.line, c.end_line] for c in f.comments]] for f in model.functions],
        "declarations": [[d.kind, d.name, d.line, list(d.conditions)]
                         for d in model.declarations],
        "macros": [[m.name, m.value, m.line, list(m.conditions)] for m in model.macros],
        "conditions": [[r.directive, r.condition, r.line, r.end_line]
                       for r in model.regions if not r.guard],
        "conflicts": [[c.line, c.end_line] for c in model.conflicts],
        "unparsed": [[u.line, u.end_line] for u in model.unparsed],
    }


def post_image(path: Path) -> list[tuple[int, str]]:
    """The (new line, text) pairs of the one hunk in a `.diff` case file ('#' lines are notes)."""
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    new_line = int(re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", lines[0])[1])
    pairs = []
    for line in lines[1:]:
        if line[:1] in (" ", "+", ""):
            pairs.append((new_line, line[1:]))
            new_line += 1
    return pairs


def model_of(path: Path) -> cheader.HeaderModel:
    if path.suffix == ".diff":
        return cheader.parse_lines(post_image(path), str(path.relative_to(HEADERS)))
    return cheader.parse_header(path.read_text(), str(path.relative_to(HEADERS)))
