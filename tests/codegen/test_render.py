"""Generated text against the golden files in tests/data/codegen/, and installing it in kernel files."""

import tomllib
from pathlib import Path

import pytest

from toolkit.codegen import install, render
from toolkit.codegen.target import Target
from toolkit.errors import InputError, UsageError

DATA = Path(__file__).parents[1] / "data/codegen"
KERNEL = DATA / "kernel"
CASES = tomllib.loads((DATA / "cases.toml").read_text())["case"]


def target_of(case: dict) -> Target:
    return Target(**{k: tuple(v) if isinstance(v, list) else v for k, v in case["target"].items()})


def rendered(case: dict) -> str:
    return getattr(render, f"render_{case['render']}")(target_of(case))


@pytest.mark.parametrize("case", CASES, ids=[c["golden"] for c in CASES])
def test_rendering_matches_golden_file(case):
    assert rendered(case) == (DATA / case["golden"]).read_text()


def test_every_golden_file_has_a_case():
    listed = {c["golden"] for c in CASES}
    on_disk = {p.name for p in DATA.iterdir() if p.is_file() and p.name != "cases.toml"}
    assert on_disk == listed


@pytest.mark.parametrize("case", CASES, ids=[c["golden"] for c in CASES])
def test_rendering_is_reproducible(case):
    assert rendered(case) == rendered(case)


@pytest.mark.parametrize("case", [c for c in CASES if c["render"] not in ("gap_block", "helpers")],
                         ids=lambda c: c["golden"])
def test_whole_files_carry_the_banner(case):
    head = rendered(case).splitlines()[:3]
    assert head[1] == f" * Generated from templates/{_template(case)} by toolkit gen — do not edit."
    assert head[2].startswith(" * Parameters: arch=")


def _template(case: dict) -> str:
    t = target_of(case)
    arch = "64" if t.arch == "x86_64" else "32"
    harness = "fred_64" if t.delivery == "fred" else arch
    return {"header": "text-patching.h.j2", "prelude": "toolkit_prelude.h.j2",
            "entry": f"entry_{arch}.S.j2", "harness": f"harness_{harness}.S.j2"}[case["render"]]


def test_header_holds_only_the_chosen_helpers():
    text = render.render_header(Target(helpers=("jmp", "push", "call")))
    defined = [name for name in ("jmp", "push", "pop", "call", "ret", "jcc")
               if f"int3_emulate_{name}(struct pt_regs *regs" in text]
    assert defined == ["jmp", "push", "call"]


def test_push_comment_names_the_mechanisms_asked_for():
    text = render.render_header(Target(mechanisms=("fixup_frame", "fred")))
    assert ("FIXUP_FRAME" in text, "red zone" in text, "entry_64.S" in text) == (True, True, False)


def test_gap_block_for_another_arch_is_refused():
    with pytest.raises(UsageError, match="x86_64 code, not x86_32"):
        render.render_gap_block(Target(arch="x86_32"))


# --- installing into kernel-shaped files ---------------------------------------------------------

def test_install_helpers_replaces_only_the_helper_block():
    old = (KERNEL / "text-patching.h").read_text()
    t = Target()
    new = install.install_helpers(old, t, "text-patching.h")
    closing = "#endif /* !CONFIG_UML_X86 */\n"
    before, _, after = old.partition("#ifndef CONFIG_UML_X86\n")
    assert new.startswith(before)
    assert new.endswith(after[after.index(closing) + len(closing):])
    assert render.render_helpers(t) in new
    assert "#ifdef CONFIG_X86_64" not in new       # the nested block went with the old helpers


@pytest.mark.parametrize("name, style", [("entry_64-trap_bp.S", "trap_bp"),
                                         ("entry_64-create_gap.S", "create_gap")])
def test_install_gap_keeps_the_tree_style(name, style):
    old = (KERNEL / name).read_text()
    assert install.entry_style(old, name) == style
    t = Target(style=style, gap_words=8)
    new = install.install_gap(old, t, name)
    assert render.render_gap_block(t) in new
    assert ".Lold_label_" not in new
    assert new.count("\t.if ") == old.count("\t.if ")
    assert new.splitlines()[-3:] == old.splitlines()[-3:]


def test_install_gap_refuses_a_style_the_tree_does_not_use():
    old = (KERNEL / "entry_64-create_gap.S").read_text()
    with pytest.raises(UsageError, match="create_gap style, not trap_bp"):
        install.install_gap(old, Target(), "entry_64.S")


def test_a_tree_without_gap_block_is_a_clear_error():
    with pytest.raises(InputError, match="entry_64.S: no entry-gap block to replace"):
        install.entry_style((KERNEL / "entry_64-no-gap.S").read_text(), "entry_64.S")


def test_a_header_without_helpers_is_a_clear_error():
    with pytest.raises(InputError, match="h: no int3 helper block"):
        install.install_helpers("#ifndef X\n#endif\n", Target(), "h")


def test_an_unclosed_block_names_its_line():
    text = "int a;\n#ifndef CONFIG_UML_X86\nint b;\n"
    with pytest.raises(InputError, match=r"^t.h:2: conditional block is never closed"):
        install.install_helpers(text, Target(), "t.h")


# --- the command line --------------------------------------------------------------------------

@pytest.mark.parametrize("argv, golden", [
    (["header", "--arch", "x86_32"], "header-x86_32.h"),
    (["header", "--helpers", "jmp,push,call"], "header-v5.2-helpers.h"),
    (["prelude", "--arch", "x86_32"], "prelude-x86_32.h"),
    (["entry", "--gap-words", "8"], "entry-x86_64-gap8.S"),
    (["entry", "--style", "create_gap"], "entry-x86_64-create_gap.S"),
    (["harness", "--arch", "x86_32"], "harness-x86_32.S"),
    (["harness", "--delivery", "fred"], "harness-x86_64-fred.S"),
])
def test_gen_prints_or_writes_the_golden_text(argv, golden, tmp_path, capsys):
    from toolkit import cli

    assert cli.main(["gen", *argv]) == 0
    assert capsys.readouterr().out == (DATA / golden).read_text()
    assert cli.main(["gen", *argv, "-o", str(tmp_path / golden)]) == 0
    assert (tmp_path / golden).read_text() == (DATA / golden).read_text()


@pytest.mark.parametrize("argv, message", [
    (["entry", "--gap-words", "3"], "toolkit: a gap of 3 words is impossible on x86_64"),
    (["header", "--arch", "x86_32", "--gap-words", "4"],
     "toolkit: a gap of 4 words (16 bytes) is too small for the helpers on x86_32"),
    (["entry", "--style", "fixup_frame"], "toolkit: unknown entry style 'fixup_frame' for x86_64"),
    (["header", "-o", "/nonexistent/dir/h.h"], "toolkit: /nonexistent/dir/h.h: cannot write"),
    (["harness", "--arch", "x86_32", "--delivery", "fred"],
     "toolkit: no 'fred' event delivery on x86_32"),
    (["harness", "--delivery", "fred", "--gap-words", "8"],
     "toolkit: --gap-words and --style shape the IDT entry gap; the FRED harness has none"),
])
def test_gen_refuses_with_exit_2_and_a_message(argv, message, capsys):
    from toolkit import cli

    assert cli.main(["gen", *argv]) == 2
    assert capsys.readouterr().err.startswith(message)


def test_install_fixup_refuses_an_entry_that_pushes_fs_after_it():
    five = Path(__file__).parents[1] / "data/entry32/entry_32-five-words.S"
    lines = five.read_text().splitlines(keepends=True)
    save_all = next(n for n, line in enumerate(lines, 1) if line.startswith(".macro SAVE_ALL"))
    with pytest.raises(InputError, match=rf"^entry_32.S:{save_all}: SAVE_ALL pushes %fs after"):
        install.install_fixup(five.read_text(), Target(arch="x86_32"), "entry_32.S")
