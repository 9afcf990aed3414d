"""A report in the protocol of b4's per-patch check command (`b4 prep --check`, `b4 am --check`).

b4 pipes one patch mail into the command and reads its standard output line by line: every line
is a problem of that patch, a line holding "ERROR:" a failure and any other line a warning; no
output at all is a pass (unless the exit code is not 0). A leading "-:" is dropped, as
checkpatch.pl prints it for a patch read from standard input. Standard error lines are failures.
"""

from __future__ import annotations

from toolkit.checks.findings import Finding
from toolkit.report.report import CheckReport

#: rules that judge the series as a whole; b4 hands over one patch at a time, so 'patch 1/3 is
#: missing' would be said of every patch of every series
SERIES_ONLY = frozenset({"SERIES_NUMBERING"})


def render(report: CheckReport) -> str:
    """One line per finding at or above the report's `fail_on` level, so that the exit code and
    the output agree: b4 counts every line as a problem."""
    return "".join(line(finding) + "\n" for finding in report.findings
                   if finding.level >= report.fail_on)


def line(finding: Finding) -> str:
    """`path:63: ERROR:RULE: message` for a remark about code (as checkpatch.pl --showfile puts
    it), else `-:25: ...` with the line of the patch mail."""
    if finding.file_at is not None:
        where = f"{finding.file_at}:"
    else:
        mail_line = finding.mbox_at.line if finding.mbox_at is not None else None
        where = "-:" if mail_line is None else f"-:{mail_line}:"
    # One finding, one line: b4 would count a second line as a second problem.
    message = " ".join(finding.message.split())
    return f"{where} {str(finding.level).upper()}:{finding.rule}: {message}"
