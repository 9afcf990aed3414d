"""The preprocessor-level layer: constant expressions (tests/data/headers/expressions.toml),
conditions per line, and the line map that keeps cleaned text aligned with the real file."""

import tomllib

import pytest

from headercase import HEADERS
from toolkit.cmodel import constexpr as cexpr
from toolkit.cmodel import header as cheader
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


def test_stretches_cut_where_the_numbers_jump():
    pairs = [(10, "a"), (11, "b"), (20, "c"), (21, "d"), (30, "e")]
    assert cpre.stretches(pairs) == [((10, "a"), (11, "b")), ((20, "c"), (21, "d")), ((30, "e"),)]


@pytest.mark.parametrize("lines, unknown", [
    # the 2b shape: context after the change opens a comment whose '*/' is below the hunk
    (["int a;", "", "/*", " * keep this last"],
     [(3, 4, "comment is never closed (no '*/' after this '/*'): the text ends in it")]),
    # the hunk starts inside a comment that closes in it
    ([" * the tail of a note", " */", "int a;"],
     [(1, 2, "the text starts inside a comment opened before it")]),
    # a '*' at the start of a line that is code (a store), not a comment's line
    (["\t*(long *)p = v;", "}"], []),
    # a '*/' in a line comment or a string closes nothing
    (["int a; // ends in */", 'char *b = "*/";'], []),
    # the last lines of a #define whose first line is above the hunk
    (["\t(a) + \\", "\t(b))", "int a;"],
     [(1, 2, "continues a directive that starts before the text")]),
    # a #define whose body goes on below the hunk
    (["int a;", "#define GAP 48 \\"],
     [(2, 2, "#define GAP goes on past the end of the text: its body is not known")]),
    # a #define cut right after the keyword
    (["int a;", "#define"], [(2, 2, "#define without a macro name")]),
    # an #endif and an #else whose #if is above the hunk: conditions as far as shown, no error
    (["int a;", "#else", "int b;", "#endif"], []),
])
def test_fragment_reads_what_it_can_and_lists_the_rest(lines, unknown):
    source = cpre.scan(cpre.numbered("\n".join(lines)), "cut.h")
    assert [(u.line, u.end_line, u.reason.split(": ", 1)[1]) for u in source.unknown] == unknown


def test_a_cut_comment_keeps_its_words():
    head, tail = cpre.scan(cpre.numbered(" * gap below\n */\nint a;\n/* the entry\n"), "c.h").comments
    assert (head.cut, head.words, tail.cut, tail.words) == (True, "gap below", True, "the entry")
    whole, = cpre.scan(cpre.numbered("/* whole */"), "c.h").comments
    assert (whole.cut, whole.words) == (False, "whole")


@pytest.mark.parametrize("name", ["v5_2.h", "v5_8.h", "v2025.h", "conditions.h", "unparsed.h",
                                  "conflict.h"])
def test_every_head_and_tail_of_a_header_is_modelled_without_an_error(name):
    # a hunk can start and end on any line: what it cuts open is unparsed, never an exception
    lines = cpre.numbered((HEADERS / name).read_text())
    for cut in range(1, len(lines)):
        for part in (lines[:cut], lines[cut:]):
            model = cheader.parse_lines(part, name)
            assert all(part[0][0] <= u.line <= u.end_line <= part[-1][0] for u in model.unparsed)
