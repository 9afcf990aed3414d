"""The outcome of checking a series: its findings rendered as text or JSON, a summary line, an exit code."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit.checks.findings import Finding, Level
from toolkit.series.model import Patch, Series

#: version of the JSON layout; raised when a field changes meaning or disappears
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Findings on one series, and the level from which a finding fails the check."""

    series: Series
    findings: tuple[Finding, ...]
    fail_on: Level = Level.WARNING

    @property
    def counts(self) -> dict[Level, int]:
        counted = Counter(finding.level for finding in self.findings)
        return {level: counted[level] for level in sorted(Level, reverse=True)}

    @property
    def exit_code(self) -> int:
        """0 when no finding is at or above `fail_on`, else 1 (2 is the CLI's, for bad input)."""
        return int(any(finding.level >= self.fail_on for finding in self.findings))

    def summary(self) -> str:
        """`1 error, 2 warnings, 0 checks, 0 notes in 3 patches`"""
        parts = [_count(n, str(level)) for level, n in self.counts.items()]
        return f"{', '.join(parts)} in {_count(len(self.series.patches), 'patch')}"

    def text(self) -> str:
        blocks = [_block(finding) for finding in self.findings]
        return "".join(block + "\n" for block in blocks) + self.summary() + "\n"

    def json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def as_dict(self) -> dict[str, Any]:
        series = self.series
        return {
            "schema": SCHEMA,
            "findings": [_finding_dict(finding) for finding in self.findings],
            "series": {
                "source": series.source,
                "revision": series.revision,
                "total": series.total,
                "revisions": list(series.revisions),
                "cover": None if series.cover is None else _mail_dict(series.cover),
                "patches": [_mail_dict(patch) for patch in series.patches],
                "missing": list(series.missing),
                "messages_read": series.messages_read,
            },
            "summary": {
                **{_plural(str(level)): n for level, n in self.counts.items()},
                "patches": len(series.patches),
                "fail_on": str(self.fail_on),
                "exit_code": self.exit_code,
                "text": self.summary(),
            },
        }


def _block(finding: Finding) -> str:
    """One finding as checkpatch.pl lays it out, plus the patch and the source coordinate."""
    lines = [f"{str(finding.level).upper()}:{finding.rule}: {finding.message}"]
    if finding.mbox_at is not None:
        at = finding.mbox_at
        lines.append(f"#{at.line}: FILE: {at}:" if at.line is not None else f"FILE: {at}:")
    if finding.patch is not None:
        ref = finding.patch
        lines.append(str(ref))
    if finding.file_at is not None:
        lines.append(f"FILE: {finding.file_at}:")
    shown = finding.evidence.get("line")
    if isinstance(shown, str):
        # A carriage return would move the terminal cursor; show it the way editors do.
        lines.append(shown.replace("\r", "^M"))
    return "\n".join(lines) + "\n"


def _finding_dict(finding: Finding) -> dict[str, Any]:
    ref, mbox, file = finding.patch, finding.mbox_at, finding.file_at
    return {
        "rule": finding.rule,
        "level": str(finding.level),
        "message": finding.message,
        "patch": None if ref is None else {"index": ref.index, "total": ref.total,
                                          "subject": ref.subject, "msgid": ref.msgid},
        "mbox": None if mbox is None else {"path": mbox.path, "line": mbox.line},
        "file": None if file is None else {"path": file.path, "line": file.line},
        "evidence": finding.evidence,
    }


def _mail_dict(patch: Patch) -> dict[str, Any]:
    return {"index": patch.index, "subject": patch.subject, "msgid": patch.msgid,
            "author": str(patch.author), "line": patch.at}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun if n == 1 else _plural(noun)}"


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith("ch") else "s")
