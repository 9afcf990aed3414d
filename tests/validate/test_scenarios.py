"""Scenario tables: rule expansion, row errors with their line, skips with reasons, the report and
the validate command line."""

from dataclasses import replace
from pathlib import Path

import pytest

from toolkit import cli
from toolkit.errors import InputError
from toolkit.report import validation as validation_report
from toolkit.report.validation import ValidationReport
from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate import scenarios
from toolkit.validate.scenarios import Outcome, Scenario, Status

TABLES = Path(__file__).parents[1] / "data/emulate/tables"


def test_rules_expand_rows():
    rows = scenarios.load_table(TABLES / "rules.toml")
    jcc = [s for s in rows if s.insn == "jcc"]
    assert (len(jcc), len({(s.cc, s.flags) for s in jcc}), len({s.name for s in jcc})) == (512, 512, 512)
    assert [s.name for s in rows if s.insn == "call"] == ["call/aligned", "call/misaligned", "call/page"]
    assert jcc[0].name == "jo/aligned/none" and jcc[-1].name == "jg/aligned/CF+PF+ZF+SF+OF"
    assert [(s.skip, s.line) for s in rows if s.insn == "ret"] == [("shown skipped on purpose", 13)]


@pytest.mark.parametrize("table, line, message", [
    ("bad_insn.toml", 7, "insn must be one of"),
    ("skip_without_reason.toml", 2, "a skipped row must say why"),
    ("unknown_key.toml", 2, "unknown key(s) stacks"),
    ("bad_count.toml", 2, "count must be a number of pushes"),
    ("unknown_variant.toml", 2, "unknown variant 'nonexistent'"),
    ("bad_stack.toml", 2, "stack must be one or a list of"),
    ("bad_check.toml", 2, "check must be a check's name"),
    ("spaced_row_header.toml", 6, "insn must be one of"),
    ("broken_toml.toml", 6, "not a valid scenario table"),
])
def test_bad_rows_name_file_and_line(table, line, message):
    with pytest.raises(InputError) as caught:
        scenarios.load_table(TABLES / table)
    assert (caught.value.path, caught.value.line) == (str(TABLES / table), line)
    assert message in caught.value.what


def test_a_variant_whose_edits_are_not_tables_names_its_file():
    with pytest.raises(InputError) as caught:
        scenarios.load_table(TABLES / "bad_variant.toml")
    assert caught.value.path == str(TABLES / "variants/edit_not_a_table.toml")
    assert "an [[edit]] needs part" in caught.value.what


def test_unreadable_table_is_an_input_error(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[row]\n")
    with pytest.raises(InputError, match="not a valid scenario table"):
        scenarios.load_table(broken)


def test_skipped_and_inapplicable_rows_carry_reasons(tmp_path):
    rows = scenarios.load_table(TABLES / "rules.toml")[-1:] + scenarios.load_table(
        TABLES / "mismatch.toml")
    outcomes = validation.validate(codeundertest.generated_code("x86_64"), rows, cache=tmp_path)
    assert [(str(o.status), o.reason) for o in outcomes] == [
        ("skipped", "shown skipped on purpose"),
        ("skipped", "absent_text: the text to replace occurs 0 times in the entry of "
                    "generated x86_64 idt")]


def test_missing_helper_is_skipped_not_failed(tmp_path):
    code = codeundertest.generated_code("x86_64")
    older = codeundertest.CodeUnderTest("older", code.arch, code.delivery, code.prelude, code.header,
                           code.entry, tuple(h for h in code.helpers if h != "jcc"))
    rows = [s for s in scenarios.load_table(TABLES / "small.toml") if s.insn == "jcc"]
    outcomes = validation.validate(older, rows, cache=tmp_path)
    assert [(str(o.status), o.reason) for o in outcomes] == [
        ("skipped", "older has no int3_emulate_jcc")]


def _outcome(status):
    return Outcome(Scenario(group="g", name=str(status), insn="call"), status)


@pytest.mark.parametrize("statuses, code", [
    ((Status.PASSED, Status.SKIPPED), 0),
    ((Status.PASSED, Status.ERROR), 2),
    ((Status.ERROR, Status.FAILED), 1),
])
def test_report_exit_code(statuses, code):
    generated = codeundertest.generated_code("x86_32")
    report = ValidationReport(((generated, tuple(_outcome(s) for s in statuses)),))
    assert report.exit_code == code


def test_validate_command_prints_groups_and_summary(capsys):
    code = cli.main(["validate", "--arch", "x86_64", "--table", str(TABLES / "small.toml")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split()[:2] for line in out if line.startswith("  ")] == [
        ["PASS", "call"], ["PASS", "jcc"], ["PASS", "controls"],
        ["PASS", "call"], ["PASS", "jcc"], ["SKIP", "controls"]]
    assert out[-1].startswith("6 scenarios: 5 passed, 0 failed, 0 error, 1 skipped")


def test_validate_command_fails_on_a_failed_scenario(capsys, tmp_path):
    code = cli.main(["validate", "--arch", "x86_32", "--table",
                     str(TABLES / "wrong_expectation.toml"), "--evidence", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "call/aligned: not caught: the faulty code behaved like the real instruction" in out
    assert list(tmp_path.iterdir()) == []      # nothing was caught, so there is no diagram


def test_validate_command_with_an_evidence_path_that_is_a_file_says_so(capsys, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("")
    code = cli.main(["validate", "--arch", "x86_32", "--table", str(TABLES / "small.toml"),
                     "--evidence", str(taken)])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.startswith(f"toolkit: {taken}: cannot make the evidence folder")


def test_validate_command_reports_a_bad_table_with_its_line(capsys):
    code = cli.main(["validate", "--table", str(TABLES / "bad_insn.toml")])
    assert code == 2
    assert f"{TABLES / 'bad_insn.toml'}:7: insn must be one of" in capsys.readouterr().err


def test_validate_command_without_a_compiler_says_so_once(capsys, monkeypatch):
    monkeypatch.setenv("CC", "no-such-compiler")
    code = cli.main(["validate", "--arch", "x86_32", "--table", str(TABLES / "small.toml")])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err == ("toolkit: C compiler 'no-such-compiler' not found "
                            "(install it or set CC or CROSS_COMPILE)\n")


def test_text_report_lists_a_few_failures_per_group():
    generated = codeundertest.generated_code("x86_32")
    failed = tuple(Outcome(Scenario(group="jcc", name=f"j{i}", insn="jcc"), Status.FAILED, "wrong")
                   for i in range(validation_report.SHOWN + 3))
    lines = ValidationReport(((generated, failed),)).text().splitlines()
    assert lines[1].split() == ["FAIL", "jcc", str(validation_report.SHOWN + 3), "failed"]
    assert lines[2 + validation_report.SHOWN].strip() == "... and 3 more (all of them: --format json)"


VARIANT = Path(__file__).parents[1] / "data/variants/indented.toml"


@pytest.mark.parametrize("entry", ["walk:\n\t\t.rept\t3\n\t\tpushq\t1*8(%rsp)\n\t\t.endr\n\tret\n",
                                   "walk:\n\t.rept 3\n\tpushq\t1*8(%rsp)\n\t.endr\n\tret\n"])
def test_a_variant_fits_the_same_words_laid_out_with_other_blanks(entry):
    code = replace(codeundertest.generated_code("x86_64"), entry=entry)
    varied = code.with_variant(scenarios.load_variant(VARIANT))
    assert varied.entry.split() == ["walk:", "pushq", "$0", "ret"]


def test_a_variant_whose_words_occur_twice_does_not_fit():
    walk = "\t.rept 3\n\tpushq\t1*8(%rsp)\n\t.endr\n"
    code = replace(codeundertest.generated_code("x86_64"), entry=walk + walk)
    with pytest.raises(codeundertest.VariantMismatch, match="occurs 2 times"):
        code.with_variant(scenarios.load_variant(VARIANT))
