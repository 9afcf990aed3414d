"""Golden cases: every tests/data/check/<case>.mbox against its <case>.expected findings."""

from pathlib import Path

import pytest

from toolkit.checks import catalogue
from toolkit.mail import read_messages
from toolkit.series.assemble import group

DATA = Path(__file__).parents[1] / "data" / "check"
CASES = sorted(path.stem for path in DATA.glob("*.mbox"))
assert CASES, "no cases found: a table that is empty would pass vacuously"


def _expected(case: str) -> list[tuple]:
    rows = []
    for line in (DATA / f"{case}.expected").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rule, index, mbox_line, path, file_line = line.split()
        rows.append((rule, _value(index), _value(mbox_line), None if path == "-" else path,
                     _value(file_line)))
    return sorted(rows, key=repr)


def _value(text: str) -> int | None:
    return None if text == "-" else int(text)


def _found(case: str) -> list[tuple]:
    path = str(DATA / f"{case}.mbox")
    findings = [f for series in group(read_messages(path), path).series
                for f in catalogue.run(series)]
    return sorted(((f.rule, f.patch.index if f.patch else None, f.mbox_at.line if f.mbox_at else None,
                    f.file_at.path if f.file_at else None, f.file_at.line if f.file_at else None)
                   for f in findings), key=repr)


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    assert _found(case) == _expected(case)


def test_every_case_has_its_comment_and_expectation():
    for case in CASES:
        first = (DATA / f"{case}.expected").read_text().splitlines()[0]
        assert first.startswith("# ") and len(first) > 10, case


# Rules that judge a patch against a git repository (--tree); these cases have none, so the rules
# must stay quiet here. Their positive cases are in test_states_tree.py.
TREE_ONLY = {"COMMIT_REFERENCE", "PATCH_DOES_NOT_APPLY"}


def test_every_rule_fires_somewhere_and_stays_quiet_somewhere():
    fired = {rule: set() for rule in catalogue.BY_NAME}
    for case in CASES:
        for row in _expected(case):
            fired[row[0]].add(case)
    for rule, cases in fired.items():
        if rule in TREE_ONLY:
            assert not cases, f"{rule} fires without a tree in {sorted(cases)}"
            continue
        assert cases, f"{rule} has no positive case"
        assert set(CASES) - cases, f"{rule} fires in every case"
