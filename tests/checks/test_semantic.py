"""Semantic rules alone: the store shape on the syntax tree, and the evidence of emulation."""

import json
import tomllib
from pathlib import Path

import pytest

from toolkit.checks import catalogue, code
from toolkit.checks.spelling import Spelling
from toolkit.series import read_series

DATA = Path(__file__).parents[1] / "data" / "semantic"
CHECK = Path(__file__).parents[1] / "data" / "check"
STORES = tomllib.loads((DATA / "stores.toml").read_text())["row"]


def _mail(code: str) -> str:
    lines = code.strip("\n").splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (f"From x@example.org Mon Sep 17 00:00:00 2001\nFrom: X <x@example.org>\n"
            f"Subject: [PATCH] x86: a helper\nMessage-Id: <store@example.org>\n\n"
            f"Add a helper.\n\nSigned-off-by: X <x@example.org>\n---\n"
            f"diff --git a/arch/x86/include/asm/text-patching.h "
            f"b/arch/x86/include/asm/text-patching.h\n"
            f"--- a/arch/x86/include/asm/text-patching.h\n"
            f"+++ b/arch/x86/include/asm/text-patching.h\n"
            f"@@ -1,0 +2,{len(lines)} @@\n{body}-- \n2.43.0\n")


@pytest.mark.parametrize("row", STORES, ids=[row["about"] for row in STORES])
def test_store_below_saved_sp(row, tmp_path):
    mbox = tmp_path / "store.mbox"
    mbox.write_text(_mail(row["code"]))
    found = catalogue.run(read_series(str(mbox)), [catalogue.lookup("STACK_GAP_UNDOCUMENTED")],
                        Spelling(()))
    # post-image lines start at 2 (the hunk says +2), the code's first line is its line 1
    assert [f.file_at.line - 1 for f in found] == row["writes"]


@pytest.mark.parametrize("case, rule", [("small-gap", "ENTRY_FRAME_CORRUPTED"),
                                        ("wrong-return-address", "EMULATION_MISMATCH"),
                                        ("reordered", "BISECT_BREAKS")])
def test_emulation_findings_carry_scenario_trace_and_stack(case, rule):
    series = read_series(str(CHECK / f"{case}.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == rule)
    evidence = json.loads(json.dumps(finding.evidence))
    assert evidence["table"].rsplit(":", 1)[0].endswith("trial.toml")
    assert evidence["trace"] and all(len(step) == 2 for step in evidence["trace"])
    assert "pt_regs" in evidence["stack_text"] and evidence["stack_svg"].startswith("<svg")
    assert evidence["scenario"] in finding.message


def test_wrong_return_address_names_both_values():
    series = read_series(str(CHECK / "wrong-return-address.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == "EMULATION_MISMATCH")
    assert "rip 0xffffffff82000804 (real instruction: 0xffffffff82000805)" in finding.message


def test_return_address_without_int3_size_is_emulated():
    # the changed helper no longer names INT3_INSN_SIZE; the scenario handler must still build
    series = read_series(str(CHECK / "return-address-without-int3-size.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == "EMULATION_MISMATCH")
    assert (finding.level.name, finding.file_at.line) == ("ERROR", 93)
    assert "rip 0xffffffff82000806 (real instruction: 0xffffffff82000805)" in finding.message


@pytest.mark.parametrize("case, rule, line", [
    ("jump-user-first", "BISECT_BREAKS", "+\tint3_emulate_call(regs, ftrace_update_func_call);"),
    ("partial-hunks", "ENTRY_FRAME_CORRUPTED", "+\t\tpushq\t4*8(%rsp)")])
def test_finding_shows_the_diff_line_it_is_about(case, rule, line):
    series = read_series(str(CHECK / f"{case}.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == rule)
    assert finding.evidence["line"] == line


def test_a_frame_copied_from_the_wrong_word_is_named_as_such():
    # the copy shifted by a word leaves the saved flags where pt_regs.sp belongs; say so, not
    # only where the emulated push then went
    series = read_series(str(CHECK / "wrong-copy-offset.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == "ENTRY_FRAME_CORRUPTED")
    assert "the entry copied 0x202 into pt_regs.sp, not the interrupted stack pointer " \
           "0xffffc90000013f00: the frame copy starts at the wrong word" in finding.message


def test_a_wrong_helper_is_named_by_its_own_instruction():
    series = read_series(str(CHECK / "push-stores-first.mbox"))
    finding, = (f for f in catalogue.run(series) if f.rule == "EMULATION_MISMATCH")
    assert finding.message.startswith("int3_emulate_push() is not push (push/aligned): ")


def test_a_store_whose_surroundings_are_not_shown_says_so():
    # the hunk starts at the helper: a comment above it would not be in the mail
    unseen, = catalogue.run(read_series(str(CHECK / "push-above-unseen.mbox")),
                            [catalogue.lookup("STACK_GAP_UNDOCUMENTED")], Spelling(()))
    assert (unseen.level.name, unseen.evidence["unknown"]) == \
        ("NOTE", "line 57, above it, is not in the patch")
    assert "so a comment there was not read" in unseen.message
    shown, = catalogue.run(read_series(str(CHECK / "first-posting.mbox")),
                           [catalogue.lookup("STACK_GAP_UNDOCUMENTED")], Spelling(()))
    assert (shown.level.name, "unknown" in shown.evidence) == ("WARNING", False)


@pytest.mark.parametrize("case, parsed", [
    ("cut-comments", []),           # three headers, none with a store through ->sp
    ("first-posting", ["arch/x86/include/asm/text-patching.h"]),
])
def test_only_files_that_can_store_below_sp_are_parsed(case, parsed, monkeypatch):
    seen = []
    real = code.blocks.header_model
    monkeypatch.setattr(code.blocks, "header_model", lambda pairs, path: seen.append(path) or
                        real(pairs, path))
    list(catalogue.run(read_series(str(CHECK / f"{case}.mbox")),
                       [catalogue.lookup("STACK_GAP_UNDOCUMENTED")], Spelling(())))
    assert sorted(set(seen)) == parsed


def test_an_include_is_refused_only_when_it_leaves_the_tree():
    series = read_series(str(CHECK / "include-climbs.mbox"))
    found = catalogue.run(series, [catalogue.lookup("REFUSED_INPUT")], Spelling(()))
    assert [(f.file_at.line, f.message.split(":")[0]) for f in found] == [
        (23, "entry gap includes another file"),
        (24, "refused")]
