"""Which files of a patch the states model: the helper header and headers whose hunks define a
helper (the gap block is found in assembler without parsing), and no other file."""

import re
from pathlib import Path

from toolkit.series import read_series
from toolkit.states import blocks, int3path
from toolkit.x86 import TEXT_PATCHING_H

CUT = Path(__file__).parents[1] / "data" / "check" / "cut-comments.mbox"


def _modelled(monkeypatch, mbox: Path) -> list[str]:
    """The paths the header model is run on while the states of `mbox` are built."""
    seen = []
    real = blocks.header_model

    def counting(pairs, path):
        seen.append(path)
        return real(pairs, path)
    monkeypatch.setattr(blocks, "header_model", counting)
    int3path.over_reference(read_series(str(mbox)))
    return sorted(set(seen))


def test_headers_without_helpers_are_not_modelled(monkeypatch):
    # cut-comments also touches a uapi-style number table and a header of its own macros
    assert _modelled(monkeypatch, CUT) == [TEXT_PATCHING_H]


def test_a_header_whose_hunk_defines_a_helper_is_modelled(monkeypatch, tmp_path):
    added = "+#define __NR_fourth_poke 432"
    text = CUT.read_text()
    assert added in text
    mbox = tmp_path / "helper-elsewhere.mbox"
    mbox.write_text(text.replace(added, "+static inline void int3_emulate_nop(struct pt_regs *r)"))
    assert _modelled(monkeypatch, mbox) == ["arch/arm64/include/asm/unistd32.h", TEXT_PATCHING_H]


def test_macros_removed_from_a_header_without_helpers_are_not_the_states():
    # pokes.h takes out a #define of its own: no block of the helper header goes with it
    pokes = next(d for d in read_series(str(CUT)).patches[0].files
                 if d.path == "include/linux/pokes.h")
    assert [ln.text for h in pokes.hunks for ln in h.lines if ln.kind == "-"] == \
        ["#define POKE_TABLE_MAX 16"]
    assert blocks.removed_names(pokes) == set()


DATA = Path(__file__).parents[1] / "data" / "check"


def _entries(mbox: str) -> list[list[tuple[str, str, int]]]:
    """(name, file, patch that last changed it) of each state's entry pieces."""
    paths = int3path.over_reference(read_series(str(DATA / mbox)))
    return [sorted((b.name, b.path.rsplit("/", 1)[1], b.changed_by) for b in state.entries)
            for state in paths.paths]


def test_the_reference_has_the_x86_32_entry_pieces_and_a_patch_replaces_only_what_it_changes():
    # the hunk shows FIXUP_FRAME and IRET_FRAME whole, but changes only IRET_FRAME
    assert _entries("fixup-frame-explained.mbox") == [
        [("FIXUP_FRAME", "entry_32.S", 0), ("IRET_FRAME", "entry_32.S", 0)],
        [("FIXUP_FRAME", "entry_32.S", 0), ("IRET_FRAME", "entry_32.S", 1)]]


def test_a_whole_fred_macro_is_an_entry_piece_and_a_cut_symbol_is_a_partial_block():
    states = _entries("fred-entry-without-tree.mbox")
    assert ("FRED_EXIT", "entry_64_fred.S", 1) in states[1]
    assert not any(name == "asm_fred_entrypoint_kernel" for name, _, _ in states[2])
    paths = int3path.over_reference(read_series(str(DATA / "fred-entry-without-tree.mbox")))
    assert [(p.patch, p.name, p.line) for p in paths.partial_blocks] == [
        (2, "asm_fred_entrypoint_kernel", 26)]


def test_a_removed_line_is_placed_at_the_line_after_it_inside_the_block():
    series = read_series(str(DATA / "fixup-frame-sp.mbox"))
    diff = series.patches[0].files[0]
    (fixup,) = [b for b in blocks.blocks_in(blocks.post_image(diff), diff.path, 1)
                if b.name == "FIXUP_FRAME"]
    changes = [(ln.kind, n) for ln, n in blocks.changes_inside(diff, fixup)]
    # the comment line replaced at 25 (one more added at 26), the addl replaced at 30
    assert changes == [("-", 25), ("+", 25), ("+", 26), ("-", 30), ("+", 30)]


def test_a_removed_macro_opening_line_removes_the_entry_piece(tmp_path):
    text = (DATA / "fixup-frame-sp.mbox").read_text()
    head = re.search(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", text, re.M)
    old_start, old_count, new_start, new_count = map(int, head.groups())
    text = text.replace(head.group(), f"@@ -{old_start},{old_count} +{new_start},{new_count - 1} @@")
    text = text.replace("\n .macro IRET_FRAME\n", "\n-.macro IRET_FRAME\n")
    mbox = tmp_path / "gone.mbox"
    mbox.write_text(text)
    diff = read_series(str(mbox)).patches[0].files[0]
    assert blocks.removed_names(diff) == {"IRET_FRAME"}
