"""`toolkit validate --tree` on real kernel trees (TOOLKIT_KERNEL_TREES, default
.kernels/linux-source-*): the tree's helpers and its entry gap pass every scenario that applies."""

import pytest

from kernel.kerneltrees import TREES, tree_id
from toolkit import cli
from toolkit.cmodel import header as cheader
from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate import scenarios
from toolkit.validate.scenarios import Status
from toolkit.x86 import FRED_ENTRY_S, TEXT_PATCHING_H

pytestmark = pytest.mark.kernel


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_tree_passes(tree, arch, rows, tmp_path):
    for delivery in codeundertest.deliveries(arch):
        code = codeundertest.tree_code(tree, arch, delivery)
        outcomes = validation.validate(code, rows, cache=tmp_path)
        assert [(o.scenario.name, o.reason) for o in outcomes
                if o.status in (Status.FAILED, Status.ERROR)] == []
        if code.missing:
            # Only FRED may be missing from these trees (v6.9+), and then every row says why.
            assert delivery == "fred" and not (tree / FRED_ENTRY_S).exists()
            assert {o.reason for o in outcomes} == {code.missing}
            continue
        ran = {o.scenario.group for o in outcomes if o.status is Status.PASSED}
        # pop and ret came in v5.10: a tree before has only the first three helpers
        have = {f.name.removeprefix("int3_emulate_") for f in
                cheader.read_header(str(tree / TEXT_PATCHING_H)).functions}
        assert {"call", "jmp", "push", "roundtrip", "ring3"} | ({"pop", "ret"} & have) <= ran


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_x86_32_fixup_and_fred_entry_are_the_trees_own(tree):
    code = codeundertest.tree_code(tree, "x86_32")
    assert code.entry_name == "entry.S" and code.missing is None
    # The tree's macros, by their own comments, and what they need from its headers.
    assert "point sp back at the previous context" in code.entry
    assert "arch/x86/include/asm/segment.h" in code.entry
    assert "#define CS_FROM_KERNEL" in code.entry
    # The generated fix-up is not there: the harness's call expands the tree's macro.
    assert ".macro toolkit_fixup_frame\n\tFIXUP_FRAME\n.endm" in code.entry
    fred = codeundertest.tree_code(tree, "x86_64", "fred")
    if (tree / FRED_ENTRY_S).exists():
        assert "asm_fred_entrypoint_kernel" in fred.label or "asm_fred_entrypoint_kernel" in fred.entry
        assert ".macro PUSH_AND_CLEAR_REGS" in fred.entry and ".macro POP_REGS" in fred.entry
    else:
        assert "FRED came in v6.9" in fred.missing


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_tree_gap_is_the_trees_own(tree):
    code = codeundertest.tree_code(tree, "x86_64")
    assert f"/* The entry gap of {tree}/arch/x86/entry/entry_64.S" in code.entry
    # The generated gap macro is gone: only the wrapper around the tree's block has its name.
    assert code.entry.count(".macro toolkit_idtentry_gap") == 1
    assert code.entry.count("testb\t$3, CS-ORIG_RAX(%rsp)") == 1
    assert "Extracted from" in code.header


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_controls_catch_damage_to_the_trees_gap(tree, tmp_path):
    rows = [s for s in scenarios.load_table(
        next(t for t in scenarios.builtin_tables() if t.name == "controls.toml"))]
    outcomes = validation.validate(codeundertest.tree_code(tree, "x86_64"), rows, cache=tmp_path)
    assert {o.scenario.name: str(o.status) for o in outcomes} == {
        "call/aligned/no_gap": "passed", "call/misaligned/no_gap": "passed",
        "pushx2/aligned/gap_one_word": "passed", "call/aligned/wrong_copy_offset": "passed",
        "pushx7/aligned": "passed", "call/aligned/no_frame_fixup": "skipped"}
    assert "into pt_regs.ss (the saved frame)" in outcomes[0].reason


# The v5.2-v5.7 form of the gap, written here in that style: a `create_gap` macro parameter.
CREATE_GAP_STYLE = """\
	.if \\create_gap == 1
	testb	$3, CS-ORIG_RAX(%rsp)
	jnz	.Lfrom_user_\\@
	.rept	6
	pushq	5*8(%rsp)
	.endr
.Lfrom_user_\\@:
	.endif
"""


@pytest.mark.parametrize("tree", TREES[:1], ids=tree_id)
def test_create_gap_style_block_runs_too(tree, tmp_path):
    older = tmp_path / "linux"
    for header in ("arch/x86/include/asm/ptrace.h", "arch/x86/include/asm/text-patching.h"):
        (older / header).parent.mkdir(parents=True, exist_ok=True)
        (older / header).write_text((tree / header).read_text())
    (older / "arch/x86/entry").mkdir(parents=True)
    (older / "arch/x86/entry/entry_64.S").write_text(CREATE_GAP_STYLE)
    rows = [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)
            if s.group in ("call", "roundtrip", "controls")]
    outcomes = validation.validate(codeundertest.tree_code(older, "x86_64"), rows, cache=tmp_path)
    assert [(o.scenario.name, o.reason) for o in outcomes
            if o.status in (Status.FAILED, Status.ERROR)] == []
    assert {o.scenario.name for o in outcomes if o.status is Status.PASSED} >= {
        "call/aligned", "call/aligned/no_gap", "call/misaligned/no_gap"}


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_validate_command_on_the_tree(tree, capsys):
    assert cli.main(["validate", "--tree", str(tree)]) == 0
    assert " 0 failed, 0 error," in capsys.readouterr().out
