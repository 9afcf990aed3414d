"""`toolkit validate --tree` on real kernel trees (TOOLKIT_KERNEL_TREES, default
.kernels/linux-source-*): the tree's helpers and its entry gap pass every scenario that applies."""

import pytest

from toolkit import cli, scenarios
from toolkit.scenarios import Status

from kernel.kerneltrees import TREES, tree_id

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def rows():
    return [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_tree_passes(tree, arch, rows, tmp_path):
    for delivery in scenarios.deliveries(arch, tree):
        code = scenarios.tree_code(tree, arch, delivery)
        outcomes = scenarios.validate(code, rows, cache=tmp_path)
        assert [(o.scenario.name, o.reason) for o in outcomes
                if o.status in (Status.FAILED, Status.ERROR)] == []
        ran = {o.scenario.group for o in outcomes if o.status is Status.PASSED}
        assert {"call", "jmp", "push", "pop", "ret", "roundtrip", "ring3"} <= ran


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_tree_gap_is_the_trees_own(tree):
    code = scenarios.tree_code(tree, "x86_64")
    assert f"/* The entry gap of {tree}/arch/x86/entry/entry_64.S" in code.entry
    assert "toolkit_tree_gap X86_TRAP_BP create_gap=1" in code.entry
    assert "Extracted from" in code.header


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_validate_command_on_the_tree(tree, capsys):
    assert cli.main(["validate", "--tree", str(tree)]) == 0
    assert " 0 failed, 0 error," in capsys.readouterr().out
