"""A report as a SARIF 2.1.0 log, the format code-scanning services read."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from toolkit import __version__
from toolkit.checks.catalogue import Rule
from toolkit.checks.findings import Finding, Level, Location
from toolkit.report.report import CheckReport

VERSION = "2.1.0"
#: the `id` of the OASIS schema (errata 01) the log conforms to
SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
#: the key of our fingerprint in `partialFingerprints`; the suffix changes when its recipe does
FINGERPRINT = "toolkitFinding/v1"

# SARIF has no level between warning and note.
_LEVELS = {Level.ERROR: "error", Level.WARNING: "warning", Level.CHECK: "note", Level.NOTE: "note"}


def render(report: CheckReport, rules: Iterable[Rule]) -> str:
    return json.dumps(log(report, rules), indent=2, ensure_ascii=False) + "\n"


def log(report: CheckReport, rules: Iterable[Rule]) -> dict[str, Any]:
    """The SARIF log of `report`; `rules` are the rules that ran (they become tool.driver.rules)."""
    rules = tuple(rules)
    index = {rule.name: k for k, rule in enumerate(rules)}
    seen: Counter[str] = Counter()
    results = []
    for finding in report.findings:
        result = _result(finding, index.get(finding.rule))
        # Two identical remarks (the same blank-line slip twice in one file) must stay two alerts.
        base = _fingerprint(finding)
        seen[base] += 1
        result["partialFingerprints"] = {FINGERPRINT: f"{base}:{seen[base]}"}
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "toolkit",
                "version": __version__,
                "rules": [_descriptor(rule) for rule in rules],
            }},
            "results": results,
        }],
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"Triggered by: {rule.trigger}"},
        "help": {"text": f"{rule.why}\n\nHow to fix: {rule.fix}"},
        "defaultConfiguration": {"level": _LEVELS[rule.level]},
    }


def _result(finding: Finding, rule_index: int | None) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.rule, "level": _LEVELS[finding.level],
                              "message": {"text": _message(finding)}}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    # The source file after the patch is what a code-scanning view can show; the mail line is
    # where the reviewer finds the remark in what was sent.
    if finding.file_at is not None:
        result["locations"] = [_location(finding.file_at)]
        if finding.mbox_at is not None:
            mail = _location(finding.mbox_at)
            mail["id"] = 1
            mail["message"] = {"text": "the line in the mail"}
            result["relatedLocations"] = [mail]
    elif finding.mbox_at is not None:
        result["locations"] = [_location(finding.mbox_at)]
    if finding.evidence:
        # What backs the remark (an emulator run's scenario, trace, registers and stack diagram),
        # in SARIF's property bag, as the JSON report carries it.
        result["properties"] = {"evidence": finding.evidence}
    return result


def _message(finding: Finding) -> str:
    if finding.patch is None:
        return finding.message
    ref = finding.patch
    return f"{finding.message} ({ref})"


def _location(where: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(where.path)}}
    if where.line is not None:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def _uri(path: str) -> str:
    """A URI reference for a path: relative paths stay relative (to the checkout they name)."""
    if os.path.isabs(path):
        return PurePosixPath(path).as_uri()
    return quote(path.replace(os.sep, "/"))


def _fingerprint(finding: Finding) -> str:
    """A hash of what the remark is about, not of where: it survives lines moving in the file."""
    shown = finding.evidence.get("line")
    parts = (finding.rule, finding.patch.subject if finding.patch else "",
             finding.file_at.path if finding.file_at else "",
             shown if isinstance(shown, str) else finding.message)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
