"""The outcome of a check: the findings of every series rendered as text or JSON, a summary line, an exit code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit.checks.findings import Finding, Level
from toolkit.series.model import Patch, Series

#: version of the JSON layout; raised when a field changes meaning or disappears
#: (2: "series" is a list, one entry per series of the file, and every finding names its series)
SCHEMA = 2


@dataclass(frozen=True, slots=True)
class Checked:
    """One series and the findings on it, in mbox order."""

    series: Series
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Findings on every series of a file, what was read, and the level from which a finding
    fails the check."""

    checked: tuple[Checked, ...]
    fail_on: Level = Level.WARNING
    mails_read: int = 0
    #: mails that were no patch and answered none (replies, pull requests, notifications)
    skipped: int = 0

    @classmethod
    def of(cls, series: Series, findings: tuple[Finding, ...],
           fail_on: Level = Level.WARNING) -> CheckReport:
        """The report of one series."""
        return cls((Checked(series, findings),), fail_on, series.messages_read)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for checked in self.checked for f in checked.findings)

    @property
    def patches(self) -> int:
        return sum(len(checked.series.patches) for checked in self.checked)

    @property
    def counts(self) -> dict[Level, int]:
        counted = Counter(finding.level for finding in self.findings)
        return {level: counted[level] for level in sorted(Level, reverse=True)}

    @property
    def exit_code(self) -> int:
        """0 when no finding is at or above `fail_on`, else 1 (2 is the CLI's, for bad input)."""
        return int(any(finding.level >= self.fail_on for finding in self.findings))

    def summary(self) -> str:
        """`1 error, 2 warnings, 0 checks, 0 notes in 3 patches` (and, for a file of several
        series or none, `of 41 series; 6,075 mails read, 2,011 skipped`)."""
        return summary_text(self.counts, self.patches, len(self.checked), self.mails_read,
                            self.skipped)

    def text(self) -> str:
        out = []
        for number, checked in enumerate(self.checked, 1):
            out.append(series_text(checked, number if len(self.checked) > 1 else None))
        return "".join(out) + self.summary() + "\n"

    def json(self) -> str:
        import json  # only the JSON formats need it

        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "findings": [_finding_dict(finding) for finding in self.findings],
            "series": [_series_dict(checked) for checked in self.checked],
            "summary": {
                **{_plural(str(level)): n for level, n in self.counts.items()},
                "patches": self.patches,
                "series": len(self.checked),
                "mails": self.mails_read,
                "skipped": self.skipped,
                "fail_on": str(self.fail_on),
                "exit_code": self.exit_code,
                "text": self.summary(),
            },
        }


def summary_text(counts: dict[Level, int], patches: int, series: int, mails: int,
                 skipped: int) -> str:
    """The closing line: findings by level, patches, and for other than one series what was read."""
    parts = [_count(n, str(level)) for level, n in counts.items()]
    text = f"{', '.join(parts)} in {_count(patches, 'patch')}"
    if series != 1:
        text += (f" of {series:,} series; {_count(mails, 'mail')} read, {skipped:,} skipped "
                 f"(no patch)")
    return text


def series_text(checked: Checked, number: int | None) -> str:
    """A series' findings as text, under its heading when it is `number` of several."""
    heading = "" if number is None else _heading(number, checked) + "\n\n"
    return heading + "".join(_block(finding) + "\n" for finding in checked.findings)


def series_json_line(checked: Checked) -> str:
    """One series and its findings as one line of JSON (`--format jsonl`)."""
    import json

    return json.dumps({"schema": SCHEMA, "series": _series_dict(checked),
                       "findings": [_finding_dict(f) for f in checked.findings]},
                      ensure_ascii=False) + "\n"


class Tally:
    """What a streamed check has found so far: findings by level, patches, series and mails."""

    def __init__(self, fail_on: Level) -> None:
        self.fail_on = fail_on
        self.levels: Counter = Counter()
        self.patches = self.series = self.mails = self.skipped = 0
        self.failed = False

    def add(self, checked: Checked) -> None:
        self.series += 1
        self.patches += len(checked.series.patches)
        self.levels.update(finding.level for finding in checked.findings)
        self.failed |= any(finding.level >= self.fail_on for finding in checked.findings)

    @property
    def counts(self) -> dict[Level, int]:
        return {level: self.levels[level] for level in sorted(Level, reverse=True)}

    @property
    def exit_code(self) -> int:
        return int(self.failed)

    def summary(self) -> str:
        return summary_text(self.counts, self.patches, self.series, self.mails, self.skipped)

    def json_line(self) -> str:
        """The closing line of `--format jsonl`."""
        import json

        return json.dumps({"schema": SCHEMA, "summary": {
            **{_plural(str(level)): n for level, n in self.counts.items()},
            "patches": self.patches, "series": self.series, "mails": self.mails,
            "skipped": self.skipped, "fail_on": str(self.fail_on),
            "exit_code": self.exit_code, "text": self.summary()}}) + "\n"


def _heading(number: int, checked: Checked) -> str:
    """`SERIES 2: [PATCH v2 0/5] x86/int3: ... <id> (5 patches: 1 error, 2 warnings)`"""
    series = checked.series
    first = series.first
    subject = first.raw_subject if first is not None else series.source
    levels = Counter(str(f.level) for f in checked.findings)
    found = ", ".join(_count(n, level) for level, n in levels.items()) or "no findings"
    return (f"SERIES {number}: {subject} {series.name} "
            f"({_count(len(series.patches), 'patch')}: {found})")


def _series_dict(checked: Checked) -> dict[str, Any]:
    series = checked.series
    return {
        "id": series.name,
        "source": series.source,
        "revision": series.revision,
        "total": series.total,
        "revisions": list(series.revisions),
        "cover": None if series.cover is None else _mail_dict(series.cover),
        "patches": [_mail_dict(patch) for patch in series.patches],
        "missing": list(series.missing),
        "findings": len(checked.findings),
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
        "series": finding.series,
    }


def _mail_dict(patch: Patch) -> dict[str, Any]:
    return {"index": patch.index, "subject": patch.subject, "msgid": patch.msgid,
            "author": str(patch.author), "line": patch.at}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else _plural(noun)}"


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith("ch") else "s")
