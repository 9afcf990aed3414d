"""The misspelling list: our own words, and a kernel tree's scripts/spelling.txt added to them."""

from pathlib import Path

import pytest

from toolkit.checks.spelling import Spelling
from toolkit.errors import ParseError

DATA = Path(__file__).parents[1] / "data" / "rules"


def test_our_list_has_no_word_mapped_to_itself():
    corrections = Spelling.load().corrections
    assert len(corrections) > 100
    assert [wrong for wrong, right in corrections.items() if wrong == right.lower()] == []


def test_typos_keep_the_case_of_the_word_and_its_column():
    found = [(t.word, t.correction, t.column) for t in Spelling.load().typos("Teh funtion, TEH")]
    assert found == [("Teh", "The", 0), ("funtion", "function", 4), ("TEH", "THE", 13)]


def test_a_tree_list_extends_ours():
    assert "exemple" not in Spelling.load().corrections
    assert Spelling.load(DATA / "tree").corrections["exemple"] == "example"
    assert Spelling.load(DATA / "no-such-tree").corrections == Spelling.load().corrections


def test_a_malformed_tree_list_names_its_file_and_line():
    with pytest.raises(ParseError) as caught:
        Spelling.load(DATA / "bad-tree")
    assert (Path(caught.value.path).parts[-3:], caught.value.line) \
        == (("bad-tree", "scripts", "spelling.txt"), 3)
