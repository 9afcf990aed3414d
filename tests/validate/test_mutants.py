"""The mutation suite: every hand-made faulty variant in tests/data/mutants/ must be caught, by the
scenario its file names (among others that may catch it too)."""

import tomllib
from pathlib import Path

import pytest

from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate import scenarios
from toolkit.validate.scenarios import Status

MUTANTS = sorted((Path(__file__).parents[1] / "data/mutants").glob("*.toml"))
assert MUTANTS, "no cases found: a table that is empty would pass vacuously"


@pytest.mark.parametrize("path", MUTANTS, ids=[p.stem for p in MUTANTS])
def test_mutant_is_caught(path, rows, cache):
    expected = tomllib.loads(path.read_text())
    code = codeundertest.generated_code(expected["arch"]).with_variant(scenarios.load_variant(path))
    outcomes = validation.validate(code, rows, cache=cache)
    failed = {o.scenario.name for o in outcomes if o.status is Status.FAILED}
    assert expected["caught_by"] in failed
    assert not [o.reason for o in outcomes if o.status is Status.ERROR]


def test_unmutated_code_passes_what_catches_the_mutants(rows, cache):
    for arch in ("x86_64", "x86_32"):
        outcomes = validation.validate(codeundertest.generated_code(arch), rows, cache=cache)
        assert [(o.scenario.name, o.reason) for o in outcomes
                if o.status not in (Status.PASSED, Status.SKIPPED)] == []
