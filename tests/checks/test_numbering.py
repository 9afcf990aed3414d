"""SERIES_NUMBERING: one finding per series, its level by how much of the series the file holds."""

from pathlib import Path

from toolkit.checks import catalogue
from toolkit.checks.numbering import ranges
from toolkit.mail import read_messages
from toolkit.series.assemble import group

DATA = Path(__file__).parents[1] / "data"


def _numbering(path: Path) -> list[tuple[str, str, str]]:
    rule = catalogue.lookup("SERIES_NUMBERING")
    return [(series.name, str(f.level), f.message)
            for series in group(read_messages(str(path)), str(path)).series
            for f in catalogue.run(series, (rule,)) if "missing" in f.message]


def test_missing_patches_are_one_finding_in_ranges():
    assert ranges([2, 3, 4, 5, 9, 11, 12]) == "2-5, 9, 11-12"
    assert ranges([7]) == "7"


def test_a_series_of_which_the_file_holds_two_patches_gets_a_note():
    # lists are sent the patches for their area: a hole is a thing to look at, not a fault
    assert _numbering(DATA / "check" / "numbering.mbox") == [
        ("<numbering-1@example.org>", "note", "patch 2 of 3 is missing (not in this file: a "
         "list is often sent only the patches for its area)")]


def test_one_patch_of_a_wider_series_is_only_noted():
    assert _numbering(DATA / "series" / "many.mbox") == [
        ("<c2-1@example.org>", "note",
         "patches 2-3 of 3 are missing (the file holds only one patch of it)")]
