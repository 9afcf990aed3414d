"""Derived numbers and refusals of the Target parameter model, from tables in tests/data/target/."""

import tomllib
from pathlib import Path

import pytest

from toolkit.codegen.target import Target
from toolkit.errors import UsageError

DATA = Path(__file__).parents[1] / "data/target"
DERIVED = tomllib.loads((DATA / "derived.toml").read_text())["case"]
ERRORS = tomllib.loads((DATA / "errors.toml").read_text())["case"]


def make(arguments: dict) -> Target:
    return Target(**{k: tuple(v) if isinstance(v, list) else v for k, v in arguments.items()})


@pytest.mark.parametrize("case", DERIVED, ids=lambda c: repr(c["target"]))
def test_derived_values(case):
    t = make(case["target"])
    got = {name: getattr(t, name) for name in case["expect"]}
    expected = {k: tuple(v) if isinstance(v, list) else v for k, v in case["expect"].items()}
    assert got == expected


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: repr(c["target"]))
def test_refused_targets(case):
    with pytest.raises(UsageError, match=case["error"]):
        make(case["target"])


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_frame_is_the_top_of_pt_regs(arch):
    t = Target(arch=arch)
    names = [s.name for s in t.ptregs.slots]
    assert names[-t.frame_words:] == list(t.frame_slots)
    assert [s.name for s in t.register_slots] + list(t.frame_slots) == names


def test_x86_32_exit_rebuilds_the_iret_frame_below_sp():
    # Top down from regs->sp: flags, cs, ip as iret pops them, then the %eax the exit pops first.
    assert Target(arch="x86_32").rebuild == (("flags", -4), ("cs", -8), ("ip", -12), ("ax", -16))


def test_targets_are_values():
    assert Target() == Target(arch="x86_64", gap_words=6, style="trap_bp")
    assert hash(Target()) == hash(Target(helpers=("jcc", "ret", "call", "pop", "push", "jmp")))
    with pytest.raises(AttributeError):
        Target().gap_words = 7
