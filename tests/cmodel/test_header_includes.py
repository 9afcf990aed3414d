"""Following #includes through a kernel tree: the tiny tree in tests/data/headers/trees/includes/
against includes.expected.json, and the bounds and cache of the walk."""

import json
import shutil

import pytest

from headercase import HEADERS
from toolkit.cli import main
from toolkit.cmodel import header as cheader
from toolkit.cmodel import includes as cinc
from toolkit.errors import InputError

TREES = HEADERS / "trees"
TREE = TREES / "includes"
HEADER = TREE / "arch/x86/include/asm/text-patching.h"


def followed_projection(model: cheader.HeaderModel) -> dict:
    f = model.followed
    return {"files": list(f.files),
            "macros": [[m.name, m.value, m.path, m.line, list(m.conditions)] for m in f.macros],
            "unresolved": [[u.include.target, u.path, u.include.line, u.why]
                           for u in f.unresolved],
            "own": [[m.name, m.value] for m in model.macros]}


def test_includes_are_followed_as_expected():
    expected = json.loads((TREES / "includes.expected.json").read_text())
    assert followed_projection(cheader.read_header(str(HEADER), tree=str(TREE))) == expected


def test_without_a_tree_includes_are_only_recorded():
    model = cheader.read_header(str(HEADER))
    assert model.followed is None
    assert [(str(i), i.line) for i in model.includes] == [
        ("#include <linux/types.h>", 5), ("#include <asm/ptrace.h>", 6),
        ('#include "../../../../../outside.h"', 7), ("#include <linux/cycle.h>", 8)]
    assert (model.macro("JCC_ZF_MASK").value, model.macro("X86_EFLAGS_ZF_BIT")) == (None, None)


def test_a_macro_says_which_file_and_line_its_value_comes_from():
    model = cheader.read_header(str(HEADER), tree=str(TREE))
    zf = model.macro("X86_EFLAGS_ZF_BIT")
    assert (zf.value, zf.path, zf.line) == (6, "arch/x86/include/uapi/asm/processor-flags.h", 9)
    own = model.macro("INT3_INSN_SIZE")
    assert (own.value, own.path) == (1, str(HEADER))


def test_a_hunk_post_image_follows_includes_too():
    pairs = [(40, "#include <asm/ptrace.h>"), (41, "#define GAP_BYTES (6 * WORD_BYTES)")]
    model = cheader.parse_lines(pairs, "arch/x86/include/asm/text-patching.h", tree=str(TREE))
    assert model.macro("GAP_BYTES").value == 48
    assert "arch/x86/include/asm/ptrace-abi.h" in model.followed.files


def test_depth_is_bounded_but_a_shallower_path_still_reads_the_file(monkeypatch):
    monkeypatch.setattr(cinc, "INCLUDE_DEPTH", 1)
    followed = cheader.read_header(str(HEADER), tree=str(TREE)).followed
    # Only what the header includes itself is read. linux/cycle.h is first reached 2 deep,
    # through linux/types.h, then 1 deep from the header: read, and not reported.
    assert followed.files == ("include/linux/types.h", "arch/x86/include/asm/ptrace.h",
                              "include/linux/cycle.h")
    assert [(u.include.target, u.path) for u in followed.unresolved if "deeper" in u.why] == [
        ("asm/processor-flags.h", "arch/x86/include/asm/ptrace.h"),
        ("ptrace-abi.h", "arch/x86/include/asm/ptrace.h")]
    assert {u.why for u in followed.unresolved if "deeper" in u.why} == \
        {"deeper than 1 levels of #include"}


def test_an_edited_header_is_read_again(tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    header = tree / "arch/x86/include/asm/text-patching.h"
    assert cheader.read_header(str(header), tree=str(tree)).macro("PUSH_BYTES").value == 8
    ptrace = tree / "arch/x86/include/asm/ptrace.h"
    ptrace.write_text(ptrace.read_text().replace("#define WORD_BYTES 8", "#define WORD_BYTES 16"))
    assert cheader.read_header(str(header), tree=str(tree)).macro("PUSH_BYTES").value == 16


def test_a_second_model_reads_no_header_again():
    cheader.read_header(str(HEADER), tree=str(TREE))
    before = cinc._cached_definitions.cache_info()
    files = cheader.read_header(str(HEADER), tree=str(TREE)).followed.files
    after = cinc._cached_definitions.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (0, len(files))


def test_a_tree_that_is_not_a_directory_is_refused():
    with pytest.raises(InputError, match=r"^/nonexistent/tree: no kernel tree here"):
        cheader.read_header(str(HEADER), tree="/nonexistent/tree")


def test_parse_header_with_tree_shows_where_used_macros_come_from(capsys):
    assert main(["parse", "header", str(HEADER), "--tree", str(TREE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"includes followed in {TREE}: 7 headers, 16 macros, 2 unresolved" in out
    assert "  include/linux/types.h:5  #include <asm/types.h>  unresolved: not on the tree's " \
           "x86 include path" in out
    used = out.index("included macros the header uses:")
    assert out.index("  arch/x86/include/uapi/asm/processor-flags.h:9  #define X86_EFLAGS_ZF_BIT 6") \
        > used > out.index("  include/linux/types.h:5  #include <asm/types.h>  unresolved: not on "
                           "the tree's x86 include path")
    assert "  11  #define JCC_ZF_MASK (1 << X86_EFLAGS_ZF_BIT)  (= 64)" in out


def test_parse_header_json_has_the_followed_part_only_with_a_tree(capsys):
    assert main(["parse", "header", str(HEADER), "--format", "json"]) == 0
    assert "followed" not in json.loads(capsys.readouterr().out)
    assert main(["parse", "header", str(HEADER), "--tree", str(TREE), "--format", "json"]) == 0
    followed = json.loads(capsys.readouterr().out)["followed"]
    assert followed["unresolved"][0] == {"target": "asm/types.h", "path": "include/linux/types.h",
                                         "line": 5, "why": "not on the tree's x86 include path"}
    assert {"name": "X86_EFLAGS_CF_BIT", "value": 0, "line": 7,
            "path": "arch/x86/include/uapi/asm/processor-flags.h"} in followed["macros"]


def test_parse_header_with_a_missing_tree_exits_2(capsys):
    assert main(["parse", "header", str(HEADER), "--tree", "/nonexistent/tree"]) == 2
    err = capsys.readouterr().err
    assert err == "toolkit: /nonexistent/tree: no such directory (given with --tree)\n"


def test_a_header_outside_the_tree_finds_its_includes_on_the_include_path():
    text = '#include <asm/ptrace.h>\n#include "local.h"\n#define PUSH_BYTES WORD_BYTES\n'
    model = cheader.parse_header(text, "/elsewhere/new-text-patching.h", tree=str(TREE))
    assert model.macro("PUSH_BYTES").value == 8
    assert [(u.include.target, u.path) for u in model.followed.unresolved] == \
        [("local.h", "/elsewhere/new-text-patching.h")]
