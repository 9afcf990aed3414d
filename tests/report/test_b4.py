"""`toolkit check - --format b4`: one patch on standard input, answered in the protocol of b4's
per-patch check command (b4.prep-perpatch-check-cmd, b4.am-perpatch-check-cmd)."""

import io
import sys
from pathlib import Path

import pytest

from toolkit.cli import main

DATA = Path(__file__).parents[1] / "data" / "outputs"
# The expected files show the layout of the output, not which rules exist: pin the rules they use.
PINNED = ("--types", "TYPO_SPELLING,TRAILING_WHITESPACE")
CASES = sorted(path.stem for path in DATA.glob("b4-*.eml"))
assert CASES, "no cases found: a table that is empty would pass vacuously"


def _check(capsys, monkeypatch, patch: Path, *argv) -> tuple[int, list[str], str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(patch.read_bytes())))
    code = main(["check", "-", "--format", "b4", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def _b4_reads(line: str) -> tuple[str, str]:
    """How b4 takes one line of a check command's output: 'fail' when it holds ERROR:, else
    'warning'; a leading '-:' is dropped."""
    return ("fail" if "ERROR:" in line else "warning"), line.removeprefix("-:")


@pytest.mark.parametrize("case", CASES)
def test_patch_on_stdin(capsys, monkeypatch, case):
    expected = [line for line in (DATA / f"{case}.expected").read_text().splitlines()
                if not line.startswith("#")]
    code, out, err = _check(capsys, monkeypatch, DATA / f"{case}.eml", *PINNED)
    # b4 reads no output as a pass only when the exit code is 0, and any output as problems
    assert (code, out, err) == (int(bool(expected)), expected, "")


def test_levels_become_b4_flags(capsys, monkeypatch):
    _, out, _ = _check(capsys, monkeypatch, DATA / "b4-patch.eml", *PINNED)
    assert [_b4_reads(line) for line in out] == [
        ("warning", "15: WARNING:TYPO_SPELLING: 'wich' may be misspelled - perhaps 'which'?"),
        ("fail", "arch/x86/entry/entry_64.S:23: ERROR:TRAILING_WHITESPACE: trailing whitespace")]


def test_fail_on_decides_what_is_said(capsys, monkeypatch):
    code, out, _ = _check(capsys, monkeypatch, DATA / "b4-patch.eml", *PINNED,
                          "--fail-on", "error")
    assert (code, out) == \
        (1, ["arch/x86/entry/entry_64.S:23: ERROR:TRAILING_WHITESPACE: trailing whitespace"])


def test_series_numbering_is_not_judged_on_one_patch(capsys, monkeypatch):
    # patch 1/3 alone: 2/3 and 3/3 are missing from the input by the nature of b4's protocol
    code, out, _ = _check(capsys, monkeypatch, DATA / "b4-patch.eml", "--types",
                          "SERIES_NUMBERING")
    assert (code, out) == (0, [])


def test_unreadable_input_goes_to_stderr(capsys, monkeypatch, tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_text("")
    code, out, err = _check(capsys, monkeypatch, empty)
    # b4 shows standard error lines as failures
    assert (code, out) == (2, []) and err.startswith("toolkit: -")
