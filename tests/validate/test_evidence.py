"""Evidence: the write hook names the slot a faulty push hit, and the stack diagram shows it in text
and SVG; where the bug hides (RSP = 8 mod 16) nothing outside the gap is written."""

import json
import xml.etree.ElementTree as ElementTree

import pytest

from toolkit.validate import code as codeundertest
from toolkit.validate import evidence, pictures, scenarios
from toolkit.validate import runner as validation
from toolkit.validate.scenarios import Status

CONTROLS = scenarios.builtin_tables()[0].parent / "controls.toml"


@pytest.fixture(scope="module")
def no_gap(tmp_path_factory):
    rows = [s for s in scenarios.load_table(CONTROLS) if s.variant and s.variant.name == "no_gap"]
    outcomes = validation.validate(codeundertest.generated_code("x86_64"), rows,
                                  cache=tmp_path_factory.mktemp("build-cache"))
    return {o.scenario.stack: o for o in outcomes}


def test_push_onto_the_saved_ss_is_named(no_gap):
    caught = no_gap["aligned"]
    assert caught.status is Status.PASSED           # a control passes when its fault is caught
    writes = caught.evidence["bad_writes"]
    assert [(w["region"], w["slot"], w["size"]) for w in writes] == [("pt_regs", "ss", 8)]
    # The value written is the return address: the site (middle of the sites page) + 5.
    assert writes[0]["value"] == "0xffffffff82000805"
    assert "into pt_regs.ss (the saved frame)" in caught.reason


def test_hidden_at_rsp_8_mod_16(no_gap):
    hidden = no_gap["misaligned"]
    assert (hidden.status, hidden.reason, hidden.evidence) == (Status.PASSED, "", None)


def test_stack_diagram_marks_the_faulty_write(no_gap):
    rows = no_gap["aligned"].evidence["stack"]
    marked = [(r["label"], r["region"]) for r in rows if r["bad_write"]]
    assert marked == [("pt_regs.ss", "pt_regs")]
    labels = [r["label"] for r in rows]
    assert labels[:5] == ["interrupted sp+24", "interrupted sp+16", "interrupted sp+8",
                          "interrupted sp+0", "pt_regs.ss"]
    assert labels[-1] == "pt_regs.r15"
    text = pictures.stack_text(rows)
    assert "pt_regs.ss   <-- the handler wrote 0xffffffff82000805" in text


def test_svg_is_well_formed_and_highlights_the_write(no_gap):
    rows = no_gap["aligned"].evidence["stack"]
    svg = ElementTree.fromstring(pictures.stack_svg(rows, "no gap, aligned"))
    boxes = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if float(r.get("y")) >= 64]
    red = [r for r in boxes if r.get("stroke") == "#c00000"]
    assert (len(red), len(boxes)) == (1, len(rows))
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert {"pt_regs", "saved frame", "gap", "faulty write"} <= set(texts)


def test_evidence_is_plain_json(no_gap):
    data = no_gap["aligned"].evidence
    assert json.loads(json.dumps(data)) == data
    assert data["stop"]["how"] == "fault" and data["stop"]["detail"] == "#GP"
    # the run's tail is kept as bytes, and disassembled only when shown
    assert "trace" not in data and evidence.with_trace(data)["trace"][-1][1] == "iretq"
    assert {r["name"] for r in data["registers"]} >= {"rip", "rsp", "rflags"}


def test_gap_words_are_labelled_gap_when_the_entry_is_right(tmp_path):
    rows = [s for s in scenarios.load_table(CONTROLS) if s.count == 7]
    outcome, = validation.validate(codeundertest.generated_code("x86_64"), rows, cache=tmp_path)
    stack = outcome.evidence["stack"]
    gap = [r["label"] for r in stack if r["region"] == "gap"]
    assert gap == ["gap (old ss)", "gap (old sp)", "gap (old flags)", "gap (old cs)", "gap (old ip)",
                   "gap"]


def test_text_evidence_has_registers_trace_and_diagram(no_gap):
    text = pictures.text(no_gap["aligned"].evidence)
    lines = text.splitlines()
    assert lines[0] == "scenario call/aligned/no_gap: stopped by fault at " \
                       f"{no_gap['aligned'].evidence['stop']['at']} (#GP)"
    assert [line.split()[0] for line in lines if line.endswith("<--")][:1] == ["rsp"]
    trace = lines[lines.index(next(l for l in lines if l.startswith("last "))) + 1:]
    assert (trace[0].split()[1], "pushq $-1" in text) == ("int3", True)
    assert text.endswith(pictures.stack_text(no_gap["aligned"].evidence["stack"]))
