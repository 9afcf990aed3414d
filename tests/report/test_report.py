"""The report of a check: checkpatch-like text blocks, the JSON layout, the summary and the exit code."""

import json
from pathlib import Path

from toolkit.checks import catalogue
from toolkit.checks.findings import Level
from toolkit.report.report import CheckReport
from toolkit.series import read_series

CHECK = Path(__file__).parents[1] / "data" / "check"


DEMO = Path(__file__).parents[2] / "patches" / "int3-call-emulation-v1.mbox"


def _report(case: str, fail_on: Level = Level.WARNING) -> CheckReport:
    return _report_of(CHECK / f"{case}.mbox", fail_on)


# These tests are about the layout of the report, not about which rules exist: they run the
# rules whose findings they show, so that a new rule does not change what they see.
LAYOUT_RULES = catalogue.select(types=("TRAILING_WHITESPACE", "DOS_LINE_ENDINGS", "SERIES_NUMBERING",
                                   "MAIL_DECODING", "TYPO_SPELLING"))


def _report_of(path: Path, fail_on: Level = Level.WARNING) -> CheckReport:
    series = read_series(str(path))
    return CheckReport.of(series, tuple(catalogue.run(series, LAYOUT_RULES)), fail_on)


def test_text_block_names_both_coordinates_and_shows_the_line():
    report = _report("whitespace")
    mbox = CHECK / "whitespace.mbox"
    assert report.text().splitlines() == [
        "ERROR:TRAILING_WHITESPACE: trailing whitespace",
        f"#25: FILE: {mbox}:25:",
        "PATCH 1/1: x86/alternatives: Explain where int3_emulate_push() writes",
        "FILE: arch/x86/include/asm/text-patching.h:63:",
        "+\t/* The int3 entry left a gap below the interrupted stack for this. */\t",
        "",
        "ERROR:DOS_LINE_ENDINGS: DOS line endings",
        f"#26: FILE: {mbox}:26:",
        "PATCH 1/1: x86/alternatives: Explain where int3_emulate_push() writes",
        "FILE: arch/x86/include/asm/text-patching.h:64:",
        "+\t/* Nothing else lives there while the handler runs. */^M",
        "",
        "2 errors, 0 warnings, 0 checks, 0 notes in 1 patch",
    ]


def test_series_wide_finding_has_no_patch_and_no_line():
    blocks = _report("numbering").text().split("\n\n")
    assert blocks[0].splitlines() == [
        "NOTE:SERIES_NUMBERING: patch 2 of 3 is missing (not in this file: a list is often sent "
        "only the patches for its area)", f"FILE: {CHECK / 'numbering.mbox'}:"]
    assert blocks[-1] == "1 error, 0 warnings, 0 checks, 2 notes in 2 patches\n"


def test_json_layout():
    report = _report("numbering")
    data = json.loads(report.json())
    assert sorted(data) == ["findings", "schema", "series", "summary"]
    assert data["schema"] == 2
    assert (data["summary"]["series"], data["summary"]["patches"]) == (1, 2)
    assert {f["series"] for f in data["findings"]} == {data["series"][0]["id"]}
    first, duplicate = data["findings"][:2]
    assert (first["rule"], first["level"], first["patch"], first["file"]) \
        == ("SERIES_NUMBERING", "note", None, None)
    assert first["mbox"] == {"path": str(CHECK / "numbering.mbox"), "line": None}
    assert duplicate["patch"] == {"index": 3, "total": 3, "msgid": "numbering-3-again@example.org",
                                  "subject": "x86/alternatives: Step 3 of the int3 rework, sent twice"}
    assert duplicate["mbox"]["line"] == 65
    (series,) = data["series"]
    assert (series["total"], series["missing"], [p["index"] for p in series["patches"]]) \
        == (3, [2], [1, 3])
    assert series["cover"] is None
    (demo,) = json.loads(_report_of(DEMO).json())["series"]
    assert (demo["cover"]["index"], demo["cover"]["line"], demo["patches"][1]["author"]) \
        == (0, 1, "Peter Zijlstra <peterz@infradead.org>")
    summary = data["summary"]
    assert (summary["errors"], summary["warnings"], summary["checks"], summary["notes"],
            summary["patches"], summary["exit_code"]) == (1, 0, 0, 2, 2, 1)


def test_json_file_coordinate_and_evidence():
    finding = json.loads(_report("whitespace").json())["findings"][0]
    assert finding["file"] == {"path": "arch/x86/include/asm/text-patching.h", "line": 63}
    assert finding["evidence"]["line"].startswith("+\t/* The int3 entry")


def test_exit_code_follows_fail_on():
    # decoding.mbox has a single note; typo-spelling.mbox two warnings.
    assert [_report("decoding", level).exit_code for level in Level] == [1, 0, 0, 0]
    assert [_report("typo-spelling", level).exit_code for level in Level] == [1, 1, 1, 0]
    assert _report("clean", Level.NOTE).exit_code == 0
