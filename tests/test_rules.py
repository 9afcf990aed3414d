"""The rule catalogue: documentation of every rule, name lookup and selection, the misspelling list."""

from pathlib import Path

import pytest

from toolkit.checks import catalogue
from toolkit.errors import ParseError, UsageError
from toolkit.checks.spelling import Spelling

DATA = Path(__file__).parent / "data" / "rules"


def test_every_rule_is_documented_and_named_like_checkpatch():
    for rule in catalogue.RULES:
        assert rule.name == rule.name.upper() and " " not in rule.name
        assert rule.scope in ("patch", "mail", "series"), rule.name
        for text in (rule.summary, rule.trigger, rule.why, rule.fix):
            assert text.strip() and "\n" not in text, rule.name
        assert callable(rule.check)
    assert len(catalogue.BY_NAME) == len(catalogue.RULES)


def test_full_text_of_a_rule_names_its_parts():
    text = str(catalogue.lookup("bad_fixes_tag"))
    assert text.startswith("BAD_FIXES_TAG (warning): ")
    assert [part in text for part in ("Triggered by:", "Why:", "How to fix:")] == [True] * 3


def test_unknown_rule_is_a_usage_error_listing_close_names():
    with pytest.raises(UsageError) as caught:
        catalogue.lookup("TYPO_SPELING")
    assert caught.value.why == "did you mean TYPO_SPELLING?"
    with pytest.raises(UsageError) as caught:
        catalogue.lookup("whitespace")
    assert caught.value.why == "did you mean TRAILING_WHITESPACE?"
    with pytest.raises(UsageError) as caught:
        catalogue.lookup("QQQ")
    assert caught.value.why == "`toolkit rules` lists them"


def test_select_keeps_types_and_drops_ignored():
    assert [r.name for r in catalogue.select(types=["dos_line_endings", "TRAILING_WHITESPACE"])] \
        == ["TRAILING_WHITESPACE", "DOS_LINE_ENDINGS"]
    remaining = {r.name for r in catalogue.select(ignore=["TYPO_SPELLING"])}
    assert remaining == set(catalogue.BY_NAME) - {"TYPO_SPELLING"}
    assert catalogue.select(types=["TYPO_SPELLING"], ignore=["typo_spelling"]) == ()


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
