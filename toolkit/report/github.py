"""A report as GitHub Actions workflow commands, which the runner turns into annotations."""

from __future__ import annotations

from toolkit.checks.findings import Finding, Level
from toolkit.report.report import CheckReport

# GitHub annotations know three levels; checks and notes are both remarks to read, not to fix.
_COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.CHECK: "notice",
             Level.NOTE: "notice"}


def render(report: CheckReport) -> str:
    return "".join(command(finding) + "\n" for finding in report.findings)


def command(finding: Finding) -> str:
    """`::error file=F,line=N,title=RULE::message`: at the source line after the patch when the
    remark is about code, else at the line of the mail."""
    where = finding.file_at or finding.mbox_at
    properties = []
    if where is not None:
        properties.append(f"file={escape_property(where.path)}")
        if where.line is not None:
            properties.append(f"line={where.line}")
    properties.append(f"title={escape_property(finding.rule)}")
    lines = [finding.message]
    if finding.patch is not None:
        ref = finding.patch
        lines.append(str(ref))
    if finding.file_at is not None and finding.mbox_at is not None:
        lines.append(f"mail: {finding.mbox_at}")
    return f"::{_COMMANDS[finding.level]} {','.join(properties)}::{escape_data(chr(10).join(lines))}"


def escape_data(text: str) -> str:
    """The message part: '%' first, so that the escapes it introduces are not escaped again."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value, where ':' would end the properties and ',' would start another one."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
