"""The reference pt_regs layouts against the offsets recorded in tests/data/ptregs/."""

import tomllib
from pathlib import Path

import pytest

from toolkit import x86
from toolkit.errors import UsageError

EXPECTED = tomllib.loads((Path(__file__).parents[1] / "data/ptregs/reference.toml").read_text())


@pytest.mark.parametrize("arch", sorted(EXPECTED))
def test_reference_offsets(arch):
    layout = x86.reference(arch)
    assert {s.name: s.offset for s in layout.slots} == EXPECTED[arch]["offsets"]
    assert layout.size == EXPECTED[arch]["size"]


def test_slot_at_names_the_covering_field():
    layout = x86.reference("x86_64")
    assert layout.slot_at(155).name == "sp"
    assert layout.slot_at(168) is None


def test_unknown_arch_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown architecture 'arm64'"):
        x86.reference("arm64")
