"""`toolkit check --format github`: one workflow command per finding, escaped as the runner
expects, at the patched file's line when the remark is about code."""

import tomllib
from pathlib import Path

import pytest

from toolkit.checks.findings import Finding, Level, Location
from toolkit.cli import main
from toolkit.report import github

DATA = Path(__file__).parents[1] / "data" / "outputs"
# The expected files show the layout of the output, not which rules exist: pin the rules they use.
PINNED = ("--types", "SERIES_NUMBERING,TYPO_SPELLING,TRAILING_WHITESPACE")
CASES = tomllib.loads((DATA / "escaping.toml").read_text())["case"]


@pytest.mark.parametrize("case", CASES, ids=[case["text"] for case in CASES])
def test_escaping(case):
    assert (github.escape_data(case["text"]), github.escape_property(case["text"])) \
        == (case["data"], case["property"])


def test_review_golden(capsys):
    mbox = DATA / "review.mbox"
    code = main(["check", str(mbox), "--format", "github", *PINNED])
    out, err = capsys.readouterr()
    expected = [line.replace("{mbox}", str(mbox))
                for line in (DATA / "review.github").read_text().splitlines()
                if not line.startswith("#")]
    assert (code, out.splitlines(), err) == (1, expected, "")


def test_levels_and_hostile_text():
    # a message or a path that tries to break out of the command stays inside it
    finding = Finding("X_RULE", Level.NOTE, "done.\n::error::forged", None,
                      Location("dir,with:odd/name.mbox", 3))
    assert github.command(finding) \
        == "::notice file=dir%2Cwith%3Aodd/name.mbox,line=3,title=X_RULE::done.%0A::error::forged"
    assert github.command(Finding("R", Level.CHECK, "m")) == "::notice title=R::m"
