"""The generated helpers and entry code pass every built-in scenario, on both architectures and
under the FRED model; rows that cannot apply are skipped with a reason."""

import pytest

from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate import scenarios
from toolkit.validate.scenarios import Status


@pytest.fixture(scope="module")
def rows():
    return [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)]


@pytest.mark.parametrize("arch, delivery", [("x86_64", "idt"), ("x86_64", "fred"), ("x86_32", "idt")])
def test_generated_code_passes(arch, delivery, rows, tmp_path):
    code = codeundertest.generated_code(arch, delivery)
    outcomes = validation.validate(code, rows, cache=tmp_path)
    assert [(o.scenario.name, o.reason) for o in outcomes
            if o.status in (Status.FAILED, Status.ERROR)] == []
    skipped = [o for o in outcomes if o.status is Status.SKIPPED]
    assert all(o.reason for o in skipped)
    # The 512 Jcc combinations and the round trips really ran.
    ran = {o.scenario.group: 0 for o in outcomes}
    for o in outcomes:
        ran[o.scenario.group] += o.status is Status.PASSED
    assert (ran["jcc"], ran["roundtrip"], ran["ring3"]) == (528, 3, 1)


def test_builtin_tables_hold_the_required_cases(rows):
    names = {s.name for s in rows}
    assert len([s for s in rows if s.insn == "jcc" and s.form == "rel32"]) == 512
    assert {"call/aligned", "call/misaligned", "jmp32/aligned", "jmp8/aligned", "push/aligned",
            "pop/aligned", "ret/aligned", "call/aligned/ring3"} <= names
    controls = {(s.variant.name if s.variant else f"x{s.count}", s.stack, s.expect)
                for s in rows if s.group == "controls"}
    assert controls == {("no_gap", "aligned", "fail"), ("no_gap", "misaligned", "pass"),
                        ("gap_one_word", "aligned", "fail"), ("wrong_copy_offset", "aligned", "fail"),
                        ("x7", "aligned", "fail"), ("no_frame_fixup", "aligned", "fail")}
