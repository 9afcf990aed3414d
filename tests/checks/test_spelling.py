"""The misspelling list: our own words, and a kernel tree's scripts/spelling.txt added to them."""

from pathlib import Path

import pytest

from toolkit.checks.spelling import Spelling
from toolkit.errors import ParseError

DATA = Path(__file__).parents[1] / "data" / "rules"


def test_no_list_maps_a_word_to_itself():
    spelling = Spelling.load()
    assert len(spelling.prose) > 10000
    for corrections in (spelling.corrections, spelling.prose):
        assert [wrong for wrong, right in corrections.items()
                if wrong in right.lower().split(", ")] == []


def test_our_list_holds_only_words_codespell_lacks():
    spelling = Spelling.load()
    assert spelling.corrections and not set(spelling.corrections) & set(spelling.prose)


def test_typos_keep_the_case_of_the_word_and_its_column():
    found = [(t.word, t.correction, t.column)
             for t in Spelling.load().typos("Emulaton EMULATON, the emulaton")]
    assert found == [("Emulaton", "Emulation", 0), ("EMULATON", "EMULATION", 9),
                     ("emulaton", "emulation", 23)]


def test_codespell_finds_the_words_our_list_never_had():
    text = "Informations on how to contruct an alligned buffer."
    assert [(t.word, t.correction, t.column) for t in Spelling.load().prose_typos(text)] == [
        ("Informations", "Information", 0), ("contruct", "construct", 23),
        ("alligned", "aligned", 35)]


def test_codespell_leaves_names_acronyms_and_short_words_alone():
    spelling = Spelling.load()
    assert "fo" in spelling.prose and "ser" in spelling.prose and "som" in spelling.prose
    # an identifier, a call, a field, an acronym, a two-letter word, a name the diff uses
    text = "Set ser_count in som_init() and regs->som; the SER bit; fo is set; ser is per CPU."
    assert list(spelling.prose_typos(text, names=frozenset({"ser"}))) == []
    assert [t.word for t in spelling.prose_typos("the ser is per CPU")] == ["ser"]


def test_several_fixes_are_offered_together():
    typo = next(Spelling.load().prose_typos("Do not abbort here."))
    assert (typo.word, typo.correction) == ("abbort", "abort, abbot")


def test_a_tree_list_extends_ours():
    assert "stakc" not in Spelling.load().corrections and "stakc" not in Spelling.load().prose
    assert Spelling.load(DATA / "tree").corrections["stakc"] == "stack"
    assert Spelling.load(DATA / "no-such-tree").corrections == Spelling.load().corrections


def test_a_malformed_tree_list_names_its_file_and_line():
    with pytest.raises(ParseError) as caught:
        Spelling.load(DATA / "bad-tree")
    assert (Path(caught.value.path).parts[-3:], caught.value.line) \
        == (("bad-tree", "scripts", "spelling.txt"), 3)


def test_kernel_terms_codespell_lists_are_left_alone():
    spelling = Spelling.load()
    assert "uptodate" in spelling.prose and "uptodate" in spelling.terms
    assert list(spelling.prose_typos("Mark the folios uptodate once read.")) == []
    # a word in quotes is named, not used: the message of a patch that fixes it
    assert list(spelling.prose_typos("Fix the 'contruct' -> 'construct' typo.")) == []


def test_codespell_table_is_kept_and_read_back(tmp_path, monkeypatch):
    # the parsed dictionary is kept in the cache; a second process reads it back unchanged, and
    # a damaged copy is parsed anew rather than trusted
    from toolkit.checks import spelling

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    spelling._codespell.cache_clear()
    first = spelling._codespell()
    (kept,) = (tmp_path / "toolkit" / "spelling").iterdir()
    spelling._codespell.cache_clear()
    assert spelling._codespell() == first and first["recieve"] == "receive"
    kept.write_bytes(b"\x00damaged")
    spelling._codespell.cache_clear()
    assert spelling._codespell() == first
    spelling._codespell.cache_clear()
