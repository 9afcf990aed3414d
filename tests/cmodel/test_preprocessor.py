"""The preprocessor-level layer: constant expressions (tests/data/headers/expressions.toml),
conditions per line, and the line map that keeps cleaned text aligned with the real file."""

import tomllib

import pytest

from headercase import HEADERS
from toolkit.cmodel import constexpr as cexpr
from toolkit.cmodel import preprocessor as cpre

EXPRESSIONS = tomllib.loads((HEADERS / "expressions.toml").read_text())["case"]


@pytest.mark.parametrize("case", EXPRESSIONS, ids=lambda c: c["expression"])
def test_expression_value(case):
    assert cexpr.evaluate(case["expression"], case.get("macros", {})) == case.get("value")


def test_cleaned_text_keeps_lines_and_columns():
    text = (HEADERS / "v5_10.h").read_text()
    source = cpre.scan(cpre.numbered(text), "v5_10.h")
    assert len(source.clean.split("\n")) == len(text.splitlines())
    for clean, real in zip(source.clean.split("\n"), text.splitlines()):
        assert len(clean) in (0, len(real))
    assert "__always_inline" not in source.clean and "__attribute__" not in source.clean
    assert "__always_inline" in source.code


def test_conditions_of_each_branch():
    source = cpre.scan(cpre.numbered((HEADERS / "conditions.h").read_text()), "conditions.h")
    assert source.conditions[9] == ("!CONFIG_X86_64", "GAP_WORDS > 5 && defined(CONFIG_X86_32)")
    assert source.conditions[11] == ("!CONFIG_X86_64",
                                     "!(GAP_WORDS > 5 && defined(CONFIG_X86_32))")


def test_line_map_follows_skipped_numbers():
    pairs = [(10, "#ifdef CONFIG_X86_64"), (11, "/* a"), (12, " b */"), (20, "int x;"),
             (21, "#endif")]
    source = cpre.scan(pairs, "hunk")
    assert [(c.line, c.end_line) for c in source.comments] == [(11, 12)]
    assert [(r.condition, r.line, r.end_line) for r in source.regions] == \
        [("CONFIG_X86_64", 10, 21)]


def test_asm_statement_stays_a_statement():
    source = cpre.scan(cpre.numbered('void f(void)\n{\n\tasm volatile("" ::: "memory");\n}\n'), "a")
    assert source.clean.split("\n")[2].split() == ["0", ";"]
