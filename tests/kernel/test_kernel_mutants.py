"""The kernel-tree mutation suite: each faulty edit in tests/data/mutants/kernel/ is made to a copy
of a real tree's entry code (under tmp_path) and must be caught by the scenario its file names, when
`validate --tree` runs the tree's own FIXUP_FRAME/IRET_FRAME or FRED entry."""

import tomllib
from pathlib import Path

import pytest

from kernel.kerneltrees import TREES, apply_mutant, entry_copy, other_era, tree_id
from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate.scenarios import Status

pytestmark = pytest.mark.kernel

MUTANTS = sorted((Path(__file__).parents[1] / "data/mutants/kernel").glob("*.toml"))
assert MUTANTS, "no cases found: a table that is empty would pass vacuously"


def mutated_tree(tree: Path, mutant: dict, into: Path) -> Path:
    """A copy of `tree` (its entry code copied, the rest linked) with the mutant's edits made."""
    copy = entry_copy(tree, into)
    apply_mutant(copy, mutant)
    return copy


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("path", MUTANTS, ids=[p.stem for p in MUTANTS])
def test_kernel_mutant_is_caught(path, tree, rows, cache, tmp_path):
    mutant = tomllib.loads(path.read_text())
    arch, delivery = mutant["arch"], mutant.get("delivery", "idt")
    missing = codeundertest.tree_code(tree, arch, delivery).missing
    if missing:
        pytest.skip(f"{tree.name}: {missing}")
    if other_era(tree, mutant):
        pytest.skip(other_era(tree, mutant))
    code = codeundertest.tree_code(mutated_tree(tree, mutant, tmp_path), arch, delivery)
    outcomes = validation.validate(code, rows, cache=cache)
    failed = {o.scenario.name for o in outcomes if o.status is Status.FAILED}
    assert mutant["caught_by"] in failed
    assert not [o.reason for o in outcomes if o.status is Status.ERROR]
