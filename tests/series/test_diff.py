"""The diff model: files, hunks and lines keep their mail lines and print back to the diff they came from."""

from pathlib import Path

from toolkit.mail.message import Line
from toolkit.series.diff import diff_start, parse_diff

DATA = Path(__file__).parents[1] / "data" / "diff"


def _lines(text: str, first: int = 1) -> list[Line]:
    return [Line(text, n) for n, text in enumerate(text.splitlines(), first)]


def test_a_parsed_diff_prints_back_to_its_text():
    text = (DATA / "two-files.diff").read_text()
    files, notes = parse_diff(_lines(text))
    assert notes == ()
    assert "".join(map(str, files)) == text


def test_lines_keep_the_mail_line_they_came_from():
    files, _ = parse_diff(_lines((DATA / "two-files.diff").read_text(), first=40))
    header, added = files[0], files[1]
    assert (header.path, header.at, header.hunks[0].at) == (
        "arch/x86/include/asm/text-patching.h", 40, 43)
    first_plus = next(ln for ln in header.hunks[0].lines if ln.kind == "+")
    assert (first_plus.at, first_plus.new_line, first_plus.old_line) == (47, 13, None)
    assert (added.old_path, added.new_path, added.added, added.removed) == (
        None, "arch/x86/kernel/example.c", 2, 0)


def test_the_diff_starts_at_its_first_file_line():
    lines = _lines("Subject text\n\n---\n a | 1 +\n" + (DATA / "two-files.diff").read_text())
    assert lines[diff_start(lines, 0)].text.startswith("diff --git ")
    assert diff_start(_lines("no diff here\n"), 0) == 1
