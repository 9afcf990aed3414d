"""What commit-message paragraphs claim (tests/data/semantic/claims.toml) and what diffs make."""

import tomllib
from pathlib import Path

import pytest

from toolkit.checks import claims
from toolkit.mail.message import Line
from toolkit.series import read_series

DATA = Path(__file__).parents[1] / "data" / "semantic"
ROWS = tomllib.loads((DATA / "claims.toml").read_text())["row"]
FIRST_POSTING = Path(__file__).parents[1] / "data" / "check" / "first-posting.mbox"


@pytest.mark.parametrize("row", ROWS, ids=[row["about"] for row in ROWS])
def test_claims_of_a_paragraph(row):
    message = tuple(Line(text, n) for n, text in enumerate(row["text"].splitlines(), 1))
    found = list(claims.claims(message))
    assert [claim.change for claim in found] == row["claims"]
    if "label" in row:
        assert row["label"] == ("claim" if row["claims"] else "context")
    if "also" in row:
        assert [claim.also for claim in found] == row["also"]


def test_the_table_holds_real_shapes_of_both_kinds():
    labels = [row["label"] for row in ROWS if "label" in row]
    assert len(labels) >= 40 and labels.count("claim") >= 15 and labels.count("context") >= 15


def test_what_each_patch_of_the_first_posting_makes_and_claims_of_others():
    series = read_series(str(FIRST_POSTING))
    made = [sorted(claims.changes(patch)) for patch in series.patches]
    others = [[(claim.change, claim.at, maker.index)
               for claim, maker in claims.other_patch_claims(patch, series)]
              for patch in series.patches]
    assert made == [["the entry gap"], ["the int3 emulation helpers"],
                    ["a handler that uses the helpers"]]
    assert others == [[], [("the entry gap", 134, 1)], []]
