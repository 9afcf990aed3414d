"""Integration with real kernel trees (Debian linux-source packages, `make kernel-trees`):
text-patching.h and ptrace.h of each tree in TOOLKIT_KERNEL_TREES (colon-separated; default
.kernels/linux-source-*) must give the helpers, sizes and pt_regs offsets DOMAIN.md states."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from kerneltrees import ROOT, TREES, tree_id

from toolkit import x86
from toolkit.cmodel import header as cheader
from toolkit.cmodel import ptregs
from toolkit.codegen import render
from toolkit.codegen.target import Target
from toolkit.x86 import EFLAGS_BITS

pytestmark = pytest.mark.kernel

DATA = ROOT / "tests" / "data"
EXPECTED = tomllib.loads((DATA / "headers" / "kernel.toml").read_text())
REFERENCE = tomllib.loads((DATA / "ptregs" / "reference.toml").read_text())
TEXT_PATCHING_H = "arch/x86/include/asm/text-patching.h"


def _version(tree: Path) -> tuple[int, int]:
    match = re.search(r"(\d+)\.(\d+)", tree.name)
    if match is None:
        pytest.skip(f"{tree}: the directory name does not say the kernel version (linux-source-X.Y)")
    return int(match[1]), int(match[2])


def _since(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def _model(tree: Path) -> cheader.HeaderModel:
    if not (tree / TEXT_PATCHING_H).exists():
        pytest.skip(f"{tree}: no {TEXT_PATCHING_H} (run `make kernel-trees`)")
    return cheader.read_header(str(tree / TEXT_PATCHING_H))


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_helper_of_the_era_is_found(tree):
    version = _version(tree)
    model = _model(tree)
    exception = EXPECTED["trees"].get(f"{version[0]}.{version[1]}")
    expected = set(exception["helpers"]) if exception else \
        {name for name, since in EXPECTED["helpers"].items() if version >= _since(since)}
    found = {f.name for f in model.functions if f.name.startswith("int3_emulate_")}
    assert found == expected
    declared = EXPECTED["specifiers"]
    wanted = declared["since"]["specifiers"] if version >= _since(declared["since"]["version"]) \
        else declared["before"]
    for name in expected:
        assert model.function(name).conditions == ("!CONFIG_UML_X86",)
        assert list(model.function(name).specifiers) == wanted
    assert model.unparsed == ()


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_every_insn_size_macro_has_its_value(tree):
    version = _version(tree)
    model = _model(tree)
    expected = {name: case["value"] for name, case in EXPECTED["insn_sizes"].items()
                if version >= _since(case["since"])}
    found = {m.name: m.value for m in model.macros if m.name.endswith("_INSN_SIZE")}
    assert found == expected


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_eflags_bits_are_found_through_the_includes(tree):
    _model(tree)    # skips a tree without the header
    model = cheader.read_header(str(tree / TEXT_PATCHING_H), tree=str(tree))
    flags = {f"X86_EFLAGS_{name}_BIT": bit for name, bit in EFLAGS_BITS}
    found = {name: (model.macro(name).value, model.macro(name).path) for name in flags}
    uapi = "arch/x86/include/uapi/asm/processor-flags.h"
    assert found == {name: (bit, uapi) for name, bit in flags.items()}
    # What stays unresolved is what a source tree does not have: generated or C library headers.
    for unresolved in model.followed.unresolved:
        assert not any((tree / folder / unresolved.include.target).exists()
                       for folder in x86.INCLUDE_PATH), unresolved


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_push_helper_comment_is_found(tree):
    push = _model(tree).function("int3_emulate_push")
    assert push.comments, "the push helper's comment about the gap was not attached"
    assert "gap" in push.comments[0].words


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
@pytest.mark.parametrize("arch", x86.ARCHES)
def test_pt_regs_offsets_match_domain(tree, arch):
    if not (tree / x86.PTRACE_H).exists():
        pytest.skip(f"{tree}: no {x86.PTRACE_H}")
    regs = ptregs.from_tree(str(tree), arch)
    assert {s.name: s.offset for s in regs.slots} == REFERENCE[arch]["offsets"]
    assert regs.size == REFERENCE[arch]["size"]


@pytest.mark.parametrize("tree", TREES, ids=tree_id)
def test_real_helpers_round_trip_and_compile(tree, tmp_path):
    model = _model(tree)
    helpers = [f.name for f in model.functions if f.name.startswith("int3_emulate_")]
    emitted = cheader.translation_unit(model, helpers)
    again = cheader.parse_header(emitted, "emitted.c")
    generator = cheader.c_generator.CGenerator()
    assert [(f.name, f.params, generator.visit(f.body)) for f in again.functions] == \
        [(f.name, f.params, generator.visit(f.body)) for f in model.functions
         if f.name in helpers]
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    (tmp_path / "helpers.c").write_text(emitted)
    (tmp_path / "toolkit_prelude.h").write_text(render.render_prelude(Target()))
    result = subprocess.run([gcc, "-fsyntax-only", "-Wall", "-Werror", str(tmp_path / "helpers.c")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
