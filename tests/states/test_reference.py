"""The reference model the package ships is the one its code makes now."""

import json

from toolkit.states import reference


def test_the_shipped_reference_is_what_the_code_makes():
    shipped = json.loads(reference._SHIPPED.read_text())
    assert shipped == json.loads(json.dumps(reference.made())), \
        "toolkit/states/reference.json is stale: run `make reference`"


def test_the_reference_has_the_helpers_and_the_gap():
    helpers, macros, gap = reference.blocks()
    # in header order: callees before their callers
    assert [b.name for b in helpers] == ["int3_emulate_jmp", "int3_emulate_push", "int3_emulate_pop",
                                         "int3_emulate_call", "int3_emulate_ret", "int3_emulate_jcc"]
    assert gap.style == "trap_bp" and "INT3_INSN_SIZE" in {m.name for m in macros}
