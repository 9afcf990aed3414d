"""Tree states without a tree: the series' hunks laid over the generated reference model."""

from pathlib import Path

from toolkit.series import read_series
from toolkit.states import int3path
from toolkit.x86 import ENTRY_64

CHECK = Path(__file__).parents[1] / "data" / "check"


def _projection(state):
    return ([(b.name, b.line, b.changed_by) for b in state.helpers if b.changed_by],
            state.gap and (state.gap.path, state.gap.line, state.gap.changed_by, state.gap.style),
            [(u.helper, u.path, u.line, u.patch) for u in state.users])


def test_first_posting_state_after_each_patch():
    found = [_projection(s) for s in int3path.over_reference(
        read_series(str(CHECK / "first-posting.mbox"))).paths]
    helpers = [("int3_emulate_call", 48, 2), ("int3_emulate_jmp", 33, 2),
               ("int3_emulate_push", 42, 2)]
    gap = (ENTRY_64, 23, 1, "create_gap")
    users = [("int3_emulate_call", "arch/x86/kernel/ftrace.c", 59, 3),
             ("int3_emulate_call", "arch/x86/kernel/ftrace.c", 61, 3)]
    # the series adds the gap and three helpers, so the state before it has neither
    assert found == [([], None, []), ([], gap, []), (helpers, gap, []), (helpers, gap, users)]


def test_reference_blocks_stay_where_the_series_does_not_touch_them():
    base = int3path.over_reference(read_series(str(CHECK / "first-posting.mbox"))).paths[0]
    assert [b.name for b in base.helpers] == ["int3_emulate_jcc", "int3_emulate_pop",
                                              "int3_emulate_ret"]
    # patch 2 adds INT3_INSN_SIZE and CALL_INSN_SIZE; the other macros are the reference's
    names = {m.name for m in base.macros}
    assert "JMP32_INSN_SIZE" in names and not names & {"INT3_INSN_SIZE", "CALL_INSN_SIZE"}


def test_names_a_state_knows_are_code_not_comments():
    after = int3path.over_reference(read_series(str(CHECK / "first-posting.mbox"))).paths
    assert (after[0].knows("create_gap"), after[1].knows("create_gap")) == (False, True)
    assert after[0].knows("X86_TRAP_BP") and not after[0].knows("frame")


def test_a_path_out_of_the_tree_is_refused_and_not_applied():
    built = int3path.over_reference(read_series(str(CHECK / "refused-path.mbox")))
    assert [(r.patch, r.message, r.at) for r in built.refusals] == [
        (1, "refused to apply ../outside/entry_64.S: the path leaves the tree", 14)]
    assert built.paths[1].gap == built.paths[0].gap
