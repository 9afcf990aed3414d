"""Struct layouts (tests/data/headers/layouts.toml) and pt_regs read from the fixture trees in
tests/data/headers/trees/, which must match the reference offsets in tests/data/ptregs/."""

import tomllib
from pathlib import Path

import pytest

from headercase import HEADERS
from toolkit import x86
from toolkit.cli import main
from toolkit.cmodel import abi as layout
from toolkit.cmodel import header as cheader
from toolkit.cmodel import ptregs
from toolkit.errors import InputError, ParseError

LAYOUTS = tomllib.loads((HEADERS / "layouts.toml").read_text())["case"]
REFERENCE = tomllib.loads((Path(__file__).parents[1] / "data/ptregs/reference.toml").read_text())
TREES = HEADERS / "trees"


@pytest.mark.parametrize("case", LAYOUTS, ids=lambda c: f"{c['arch']}:{c['text'][:30]}")
def test_struct_layout(case):
    model = cheader.parse_header(case["text"], "layout.h")
    macros = {m.name: m.body for m in model.macros}
    placed, size = layout.members(model.structs[0], layout.ABIS[case["arch"]], {}, macros)
    assert [[m.name or "", m.offset] for m in placed] == case["offsets"]
    assert size == case["size"]


@pytest.mark.parametrize("tree", ["fred", "classic"])
@pytest.mark.parametrize("arch", x86.ARCHES)
def test_pt_regs_from_tree_matches_reference(tree, arch):
    regs = ptregs.from_tree(str(TREES / tree), arch)
    assert {s.name: s.offset for s in regs.slots} == REFERENCE[arch]["offsets"]
    assert regs.size == REFERENCE[arch]["size"]
    assert regs == x86.reference(arch)


def test_tree_without_pt_regs_is_an_input_error():
    with pytest.raises(InputError, match="no struct pt_regs for x86_64"):
        ptregs.from_tree(str(TREES / "empty"), "x86_64")


def test_member_of_unknown_size_names_the_struct_in_the_tree():
    with pytest.raises(ParseError) as caught:
        ptregs.from_tree(str(TREES / "unknown-type"), "x86_64")
    path = TREES / "unknown-type" / x86.PTRACE_H
    assert (caught.value.path, caught.value.line) == (str(path), 4)
    assert "'frob_t'" in caught.value.what


def test_cli_pt_regs_from_tree(capsys):
    assert main(["parse", "pt-regs", "--tree", str(TREES / "fred"), "--arch", "x86_32"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("struct pt_regs, x86_32, 68 bytes")
    assert out[-1].split() == ["64", "4", "ss"]
