"""Which files of a patch the states model: the helper header and headers whose hunks define a
helper (the gap block is found in assembler without parsing), and no other file."""

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
