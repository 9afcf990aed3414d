"""The header model against the fixtures in tests/data/headers/: each `<case>.h` (or a hunk's
`<case>.diff`) beside `<case>.expected.json`, the projection its model must have."""

import json
import shutil
import subprocess

import pytest

from headercase import HEADERS, model_of, post_image, projection
from toolkit.cli import main
from toolkit.cmodel import header as cheader
from toolkit.codegen import render
from toolkit.codegen.target import Target
from toolkit.errors import InputError, ParseError, UsageError

CASES = sorted(p for p in HEADERS.iterdir()
               if p.suffix in (".h", ".diff"))
ERAS = ["v5_2.h", "v5_3.h", "v5_8.h", "v5_10.h", "v6_3.h", "v2025.h"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_model_matches_expected_projection(path):
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
    assert projection(model_of(path)) == expected


def test_every_case_has_an_expected_file():
    # a fixture without its expectation would silently test nothing
    assert CASES and all(p.with_name(p.stem + ".expected.json").exists() for p in CASES)


def test_hunk_positions_are_lines_of_the_patched_file():
    pairs = post_image(HEADERS / "hunk_push.diff")
    model = cheader.parse_lines(pairs, "text-patching.h")
    text = dict(pairs)
    push = model.function("int3_emulate_push")
    assert "int3_emulate_push" in text[push.line]
    assert text[push.end_line] == "}"
    assert model.macro("CALL_INSN_SIZE").line == 146


def test_first_line_shifts_every_position():
    text = (HEADERS / "v5_3.h").read_text()
    shifted = cheader.parse_header(text, "v5_3.h", first_line=101)
    plain = cheader.parse_header(text, "v5_3.h")
    assert [(f.name, f.line - 100, f.end_line - 100) for f in shifted.functions] == \
        [(f.name, f.line, f.end_line) for f in plain.functions]


def test_helper_comments_carry_their_text():
    push = model_of(HEADERS / "v5_8.h").function("int3_emulate_push")
    assert "create_gap" in push.comments[0].words
    assert not push.comments[0].words.startswith(("/*", "*"))


def test_duplicate_definitions_are_both_kept():
    model = model_of(HEADERS / "defined_twice.h")
    assert [(f.line, f.end_line) for f in model.functions_named("int3_emulate_jmp")] == \
        [(6, 10), (12, 16)]


def test_unparsed_region_names_file_and_line():
    model = model_of(HEADERS / "unparsed.h")
    assert [u.reason.split(": ", 1)[0] for u in model.unparsed] == \
        ["unparsed.h:5", "unparsed.h:16:12"]


def _declarations(model, names):
    """What must survive model → C → model: each function's declaration and its body as C."""
    generator = cheader.c_generator.CGenerator()
    return sorted((f.name, f.return_type, f.params, f.specifiers, generator.visit(f.body))
                  for f in model.functions if f.name in names)


@pytest.mark.parametrize("name", ERAS)
def test_round_trip_through_c(name):
    model = model_of(HEADERS / name)
    helpers = [f.name for f in model.functions if f.name.startswith("int3_emulate_")]
    emitted = cheader.translation_unit(model, helpers)
    again = cheader.parse_header(emitted, "emitted.c")
    assert again.unparsed == ()
    assert again.includes[0].target == "toolkit_prelude.h"
    assert [f.name for f in again.functions] == helpers
    assert _declarations(again, helpers) == _declarations(model, helpers)


def test_emitted_unit_brings_callees_and_macros():
    model = model_of(HEADERS / "v5_10.h")
    emitted = cheader.parse_header(cheader.translation_unit(model, ["int3_emulate_ret"]), "x.c")
    assert [f.name for f in emitted.functions] == \
        ["int3_emulate_jmp", "int3_emulate_pop", "int3_emulate_ret"]
    call = cheader.parse_header(cheader.translation_unit(model, ["int3_emulate_call"]), "x.c")
    assert [(m.name, m.value) for m in call.macros] == [("INT3_INSN_SIZE", 1),
                                                        ("CALL_INSN_SIZE", 5)]


@pytest.mark.parametrize("name", ["v5_10.h", "v6_3.h", "v2025.h"])
def test_emitted_unit_compiles(name, tmp_path):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    model = model_of(HEADERS / name)
    helpers = [f.name for f in model.functions if f.name.startswith("int3_emulate_")]
    source = tmp_path / "helpers.c"
    source.write_text(cheader.translation_unit(model, helpers))
    (tmp_path / "toolkit_prelude.h").write_text(render.render_prelude(Target()))
    result = subprocess.run([gcc, "-fsyntax-only", "-Wall", "-Werror", str(source)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_inline_assembly_is_not_emitted_as_something_else():
    with pytest.raises(ParseError, match="inline assembly"):
        cheader.translation_unit(model_of(HEADERS / "v2025.h"), ["text_poke_barrier"])


def test_unknown_helper_is_a_usage_error():
    with pytest.raises(UsageError, match="no function 'int3_emulate_nop'"):
        cheader.translation_unit(model_of(HEADERS / "v5_2.h"), ["int3_emulate_nop"])


def test_unclosed_comment_names_its_line():
    # a whole file cannot end inside a comment: that one is broken
    with pytest.raises(ParseError) as caught:
        cheader.parse_header("int a;\n\n/* never closed\nint b;\n", "broken.h")
    assert (caught.value.path, caught.value.line) == ("broken.h", 3)


def test_lines_cut_inside_a_comment_are_modelled_up_to_it():
    # a hunk can end inside one: the model reads what comes before and marks the rest unparsed
    model = cheader.parse_lines([(7, "int a;"), (8, ""), (9, "/* closed below"), (10, "int b;")],
                                "cut.h")
    assert [d.name for d in model.declarations] == ["a"]
    assert [(u.line, u.end_line, u.reason.split(": ", 1)[0]) for u in model.unparsed] == \
        [(9, 10, "cut.h:9")]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read header"):
        cheader.read_header(str(tmp_path / "absent.h"))


def test_binary_file_is_an_input_error_naming_the_line(tmp_path):
    # an object file passed by mistake: refused at the first NUL, not modelled as one big region
    blob = tmp_path / "helpers.o"
    blob.write_bytes(b"\x7fELF\n\n\x00\x01\x02")
    with pytest.raises(InputError, match="not a C header") as caught:
        cheader.read_header(str(blob))
    assert caught.value.line == 3


def test_cli_json_has_the_documented_keys(capsys):
    assert main(["parse", "header", str(HEADERS / "v5_2.h"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    push = next(f for f in data["functions"] if f["name"] == "int3_emulate_push")
    assert (push["line"], push["end_line"], push["conditions"]) == \
        (30, 34, ["!CONFIG_UML_X86", "CONFIG_X86_64"])
    assert {"name": "CALL_INSN_SIZE", "value": 5, "line": 15}.items() <= \
        next(m for m in data["macros"] if m["name"] == "CALL_INSN_SIZE").items()
    assert [c["condition"] for c in data["conditions"]] == ["!CONFIG_UML_X86", "CONFIG_X86_64"]
    assert data["unparsed"] == []


def test_cli_text_and_missing_file(capsys, tmp_path):
    assert main(["parse", "header", str(HEADERS / "unparsed.h")]) == 0
    out = capsys.readouterr().out
    assert "22-28  static __always_inline void int3_emulate_push(" in out
    assert "13-20  unparsed: unparsed.h" not in out and "13-20  unparsed:" in out
    assert main(["parse", "header", str(tmp_path / "absent.h")]) == 2
    assert "absent.h: cannot read header" in capsys.readouterr().err


def test_hunk_cut_inside_bodies_says_so():
    model = model_of(HEADERS / "hunk_mid_function.diff")
    assert [(u.line, u.end_line, u.reason.split(": ", 1)[1]) for u in model.unparsed] == [
        (150, 151, "the text starts inside a body opened before it"),
        (160, 162, "the text ends inside this declaration")]


def test_brackets_nested_past_any_helper_are_unparsed_not_a_crash():
    # code from a mail could nest its way into a RecursionError in the parser
    deep = "(" * 50_000 + "1" + ")" * 50_000
    text = f"static inline void int3_emulate_jmp(struct pt_regs *regs)\n{{\n\tregs->ip = {deep};\n}}\n"
    model = cheader.parse_header(text, "deep.h")
    assert (model.functions, [u.reason for u in model.unparsed]) == (
        (), ["deep.h:1: nested more than 200 levels deep"])
