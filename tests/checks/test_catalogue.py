"""The rule catalogue: documentation of every rule, name lookup and selection."""

from pathlib import Path

import pytest

from toolkit.checks import catalogue
from toolkit.errors import UsageError

DATA = Path(__file__).parents[1] / "data" / "rules"

RULE_MODULES = {f"toolkit.checks.{name}" for name in
                ("patchmail", "numbering", "claims", "code", "applying", "emulation")}


def test_every_rule_is_documented_and_named_like_checkpatch():
    for rule in catalogue.RULES:
        assert rule.name == rule.name.upper() and " " not in rule.name
        assert rule.scope in ("patch", "mail", "series"), rule.name
        for text in (rule.summary, rule.trigger, rule.why, rule.fix):
            assert text.strip() and "\n" not in text, rule.name
        # every check lives in a rule module, which only the catalogue imports
        assert rule.check.__module__ in RULE_MODULES, rule.name
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
