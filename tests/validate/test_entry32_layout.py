"""The x86_32 frame FIXUP_FRAME sees comes from the entry's own SAVE_ALL: five words when %fs is
pushed after the fix-up (v5.3), six when before (v5.4 on). tests/data/entry32/entry_32-five-words.S
is an entry in the v5.3 shape written for these tests."""

from pathlib import Path

import pytest

from toolkit import entryblocks
from toolkit.checks import trial
from toolkit.entryblocks import macro
from toolkit.validate import code, kernelentry, runner
from toolkit.validate.scenarios import Status

FILE = Path(__file__).parents[1] / "data" / "entry32" / "entry_32-five-words.S"
LINES = FILE.read_text().splitlines(keepends=True)


def _pieces(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join("".join(lines[a:b + 1]) for a, b in
                   (macro(lines, name) for name in ("FIXUP_FRAME", "IRET_FRAME")))


def _run(text: str, fs_first: bool, cache):
    piece = kernelentry.fixup_text(_pieces(text), "the five-word entry", fs_first)
    under_test = code.kernel_entry_code("five words", "x86_32", "idt", piece)
    return runner.validate(under_test, trial.entry_table(), cache=cache)


def test_the_order_of_save_all_gives_the_layout():
    assert entryblocks.fs_before_fixup(LINES) is False
    six = FILE.read_text().replace("\tFIXUP_FRAME\n\tpushl\t%fs\n", "\tpushl\t%fs\n\tFIXUP_FRAME\n")
    assert entryblocks.fs_before_fixup(six.splitlines(keepends=True)) is True
    assert entryblocks.fs_before_fixup(["/* no SAVE_ALL */\n"]) is True


def test_a_five_word_fixup_runs_clean_in_its_own_layout(cache):
    outcomes = _run(FILE.read_text(), False, cache)
    assert outcomes and all(o.status is Status.PASSED for o in outcomes), \
        [(o.scenario.name, o.reason) for o in outcomes]


def test_the_six_word_layout_would_fail_it(cache):
    assert any(o.status is Status.FAILED for o in _run(FILE.read_text(), True, cache))


@pytest.mark.parametrize("old, new", [("addl\t$6*4, (%esp)", "addl\t$5*4, (%esp)"),
                                      ("\tpushl\t6*4(%esp)\t\t# gs\n", "")])
def test_a_one_word_fault_in_the_five_word_fixup_is_caught(old, new, cache):
    text = FILE.read_text()
    assert text.count(old) == 1
    assert any(o.status is Status.FAILED for o in _run(text.replace(old, new), False, cache))
