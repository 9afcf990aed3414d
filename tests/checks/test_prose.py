"""COMMIT_LOG_LONG_LINE's judgement of what is prose, on a labelled table of real line shapes."""

from pathlib import Path

import pytest

from toolkit.checks.patchmail import MAX_LOG_COLUMNS
from toolkit.checks.prose import not_prose

TABLE = Path(__file__).parents[1] / "data" / "rules" / "long-line-shapes.txt"
ROWS = [line.split(" | ", 2) for line in TABLE.read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("# ")]
assert len(ROWS) > 40 and {row[0] for row in ROWS} == {"exempt", "prose"}


@pytest.mark.parametrize("expected,shape,text", ROWS, ids=[row[1] for row in ROWS])
def test_shape(expected, shape, text):
    assert len(text) > MAX_LOG_COLUMNS, "a short line would be left alone anyway"
    assert not_prose(text) == (expected == "exempt")
