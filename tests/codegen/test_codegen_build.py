"""The generated code through the real toolchain: gcc compiles the header, GNU as the assembly."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.cmodel import header as cheader
from toolkit.codegen import render
from toolkit.codegen.target import Target
from toolkit.emulate import build
from toolkit.errors import ToolchainError
from toolkit.validate.code import check_builds
from toolkit.x86 import INSNS

DATA = Path(__file__).parents[1] / "data/codegen"

# The flags the header must compile with, per architecture (-fno-pic: Debian's gcc defaults to
# PIE, which the kernel code model refuses).
CFLAGS = {"x86_64": ["-m64", "-mcmodel=kernel", "-mno-red-zone", "-fno-pic"], "x86_32": ["-m32"]}
ASFLAGS = {"x86_64": ["--64"], "x86_32": ["--32"]}


@pytest.fixture(scope="module")
def tools():
    try:
        cc, as_, _ = build.Toolchain.from_environ().resolve()
    except ToolchainError as error:
        pytest.skip(f"no toolchain: {error}")
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) not found")
    return {"cc": cc, "as": as_}


def run(command, cwd):
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_header_compiles_warning_free_under_the_prelude(tools, tmp_path, arch):
    t = Target(arch=arch)
    (tmp_path / "toolkit_prelude.h").write_text(render.render_prelude(t))
    (tmp_path / "text-patching.h").write_text(render.render_header(t))
    shutil.copy(DATA / "build/use_helpers.c", tmp_path)
    run([tools["cc"], "-Wall", "-Werror", "-ffreestanding", *CFLAGS[arch], "-O2", "-c",
         "use_helpers.c", "-o", "use_helpers.o"], tmp_path)
    symbols = run(["objdump", "-t", "use_helpers.o"], tmp_path)
    assert re.search(r"\bF \.text\s+\S+\s+use_helpers$", symbols, re.M)


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_prelude_static_asserts_catch_a_wrong_offset(tools, tmp_path, arch):
    # The prelude's assertions are what ties struct pt_regs to the entry code: prove they bite.
    text = render.render_prelude(Target(arch=arch)).replace("== 0, \"pt_regs", "== 4, \"pt_regs")
    (tmp_path / "p.c").write_text(text)
    done = subprocess.run([tools["cc"], *CFLAGS[arch], "-ffreestanding", "-c", "p.c"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "static assertion failed" in done.stderr


def disassemble(tools, tmp_path, arch, source) -> list[str]:
    (tmp_path / "code.S").write_text(source)
    run([tools["as"], *ASFLAGS[arch], "code.S", "-o", "code.o"], tmp_path)
    listing = run(["objdump", "-d", "--no-show-raw-insn", "code.o"], tmp_path)
    return [line.split("\t", 1)[1].strip() for line in listing.splitlines() if "\t" in line]


@pytest.mark.parametrize("style, gap_words, lower, pushes", [
    ("trap_bp", 6, None, ["push   0x28(%rsp)"] * 6),
    ("create_gap", 6, None, ["push   0x28(%rsp)"] * 6),
    ("trap_bp", 9, "sub    $0x18,%rsp", ["push   0x40(%rsp)"] * 6),
])
def test_x86_64_entry_assembles_to_the_frame_copy(tools, tmp_path, style, gap_words, lower, pushes):
    t = Target(style=style, gap_words=gap_words)
    use = "X86_TRAP_BP" if style == "trap_bp" else "create_gap=1"
    insns = disassemble(tools, tmp_path, "x86_64",
                        render.render_entry(t) + f"\ttoolkit_idtentry_gap {use}\n")
    assert insns[0] == "testb  $0x3,0x10(%rsp)"          # CS-ORIG_RAX = 136 - 120
    assert insns[2:] == ([lower] if lower else []) + pushes


def test_x86_64_entry_expands_to_nothing_for_other_vectors(tools, tmp_path):
    insns = disassemble(tools, tmp_path, "x86_64",
                        render.render_entry(Target()) + "\ttoolkit_idtentry_gap 14\n\tnop\n")
    assert insns == ["nop"]


@pytest.mark.parametrize("gap_words, lower, copy", [(6, "sub    $0x8,%esp", "push   0x1c(%esp)"),
                                                    (5, "sub    $0x4,%esp", "push   0x18(%esp)")])
def test_x86_32_fixup_assembles_to_the_frame_build(tools, tmp_path, gap_words, lower, copy):
    insns = disassemble(tools, tmp_path, "x86_32",
                        render.render_entry(Target(arch="x86_32", gap_words=gap_words))
                        + "\ttoolkit_fixup_frame\n")
    assert insns[:4] == ["andl   $0xffff,0x8(%esp)", "testl  $0x3,0x8(%esp)", insns[2], lower]
    adjust = f"addl   ${(gap_words + 1) * 4:#x},(%esp)"
    assert insns[4:] == ["push   %ss", "push   %esp", adjust] + [copy] * 4


# The last instruction by its bytes: objdump 2.40 reads erets as `repnz clac`.
@pytest.mark.parametrize("t, last", [(Target(), "48 cf"),
                                     (Target(style="create_gap", gap_words=8), "48 cf"),
                                     (Target(arch="x86_32"), "cf"),
                                     (Target(helpers=("jmp",), gap_words=0), "48 cf"),
                                     (Target(delivery="fred"), "f2 0f 01 ca")],
                         ids=["x86_64", "x86_64-create_gap-8", "x86_32", "x86_64-no-gap", "fred"])
def test_harness_assembles_and_exports_the_entry(tools, tmp_path, t, last):
    insns = disassemble(tools, tmp_path, t.arch, render.render_harness(t))
    assert insns[0] == "cld"
    listing = run(["objdump", "-d", "code.o"], tmp_path)
    assert [line.split("\t")[1].strip() for line in listing.splitlines() if "\t" in line][-1] == last
    assert any(i.startswith("call") for i in insns)
    # Only the IDT harness pushes (orig_ax, the copied frame); under FRED the CPU did it all.
    assert any(i.startswith("push") for i in insns) == (t.delivery == "idt")
    symbols = run(["objdump", "-t", "code.o"], tmp_path)
    assert re.search(r"\bg\s+F \.text\s+\S+\s+toolkit_int3_entry$", symbols, re.M)
    assert re.search(r"\*UND\*\s+\S+\s+toolkit_int3_handler$", symbols, re.M)


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_check_builds_links_header_harness_and_handler(arch, tmp_path, monkeypatch, tools):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    check_builds(Target(arch=arch))
    assert list(tmp_path.glob("toolkit/build/*.elf"))


@pytest.mark.parametrize("variable, value, missing", [("CC", "no-such-gcc", "no-such-gcc"),
                                                      ("CROSS_COMPILE", "no-such-", "no-such-gcc"),
                                                      ("AS", "no-such-as", "no-such-as")])
def test_missing_toolchain_is_a_toolchain_error(monkeypatch, variable, value, missing):
    for name in ("CC", "AS", "LD", "CROSS_COMPILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ToolchainError, match=f"'{missing}' not found"):
        check_builds(Target())


@pytest.mark.parametrize("arch", ["x86_64", "x86_32"])
def test_header_parses_back_with_the_header_model(arch):
    t = Target(arch=arch)
    model = cheader.parse_header(render.render_header(t), "text-patching.h")
    assert [f.name for f in model.functions] == [f"int3_emulate_{h}" for h in t.helpers]
    assert not model.unparsed
    values = {m.name: m.value for m in model.macros if "_INSN_" in m.name}
    expected = {}
    for insn in INSNS:
        expected |= {f"{insn.name}_INSN_SIZE": insn.size, f"{insn.name}_INSN_OPCODE": insn.opcode}
    assert values == expected
