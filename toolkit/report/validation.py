"""The report of a validation: outcomes per code under test, the summary line and the exit code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable

from toolkit.validate.code import CodeUnderTest
from toolkit.validate.evidence import with_trace
from toolkit.validate.scenarios import Outcome, Status

SHOWN = 5      # failed scenarios listed per group in the text report


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Outcomes per code under test; owns the group lines, the summary and the exit code."""

    results: tuple[tuple[CodeUnderTest, tuple[Outcome, ...]], ...]
    seconds: float = 0.0
    # (label, outcomes of toolkit.validate.patching): a tree's int3 batch on the patching table
    patching: tuple[tuple[str, tuple], ...] = ()

    @property
    def outcomes(self) -> list:
        return ([o for _, outcomes in self.results for o in outcomes]
                + [o for _, outcomes in self.patching for o in outcomes])

    @property
    def exit_code(self) -> int:
        statuses = {o.status for o in self.outcomes}
        return 1 if Status.FAILED in statuses else 2 if Status.ERROR in statuses else 0

    def counts(self, outcomes: Iterable[Outcome] | None = None) -> dict[str, int]:
        counted = {str(status): 0 for status in Status}
        for outcome in self.outcomes if outcomes is None else outcomes:
            counted[str(outcome.status)] += 1
        return counted

    def text(self) -> str:
        lines = []
        for code, outcomes in self.results:
            lines.append(code.label)
            groups: dict[str, list[Outcome]] = {}
            for outcome in outcomes:
                groups.setdefault(outcome.scenario.group, []).append(outcome)
            for group, members in groups.items():
                counted = self.counts(members)
                verdict = ("FAIL" if counted["failed"] else "ERROR" if counted["error"] else
                           "SKIP" if counted["skipped"] == len(members) else "PASS")
                detail = ", ".join(f"{n} {status}" for status, n in counted.items() if n)
                lines.append(f"  {verdict:<5} {group:<10} {detail}")
                bad = [o for o in members if o.status in (Status.FAILED, Status.ERROR)]
                for o in bad[:SHOWN]:
                    lines.append(f"        {o.scenario.name}: {o.reason}  [{o.scenario.where}]")
                if len(bad) > SHOWN:
                    lines.append(f"        ... and {len(bad) - SHOWN} more (all of them: "
                                 f"--format json)")
        for label, outcomes in self.patching:
            counted = self.counts(outcomes)
            verdict = ("FAIL" if counted["failed"] else "ERROR" if counted["error"] else
                       "SKIP" if counted["skipped"] == len(outcomes) else "PASS")
            lines.append(label)
            lines.append(f"  {verdict:<5} {'patching':<10} " + ", ".join(
                f"{n} {status}" for status, n in counted.items() if n))
            for o in [o for o in outcomes if o.status in (Status.FAILED, Status.ERROR)][:SHOWN]:
                lines.append(f"        {o.sequence.name}: {o.reason}  [{o.sequence.where}]")
        counted = self.counts()
        lines.append(f"{len(self.outcomes)} scenarios: " + ", ".join(
            f"{n} {status}" for status, n in counted.items()) + f" ({self.seconds:.1f} s)")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        return json.dumps({
            "results": [{"code": code.label, "arch": code.arch, "delivery": code.delivery,
                         "outcomes": [{"group": o.scenario.group, "name": o.scenario.name,
                                       "status": str(o.status), "reason": o.reason,
                                       "row": o.scenario.where,
                                       "evidence": o.evidence and with_trace(o.evidence)}
                                      for o in outcomes]}
                        for code, outcomes in self.results],
            "patching": [{"code": label, "outcomes": [
                {"name": o.sequence.name, "status": str(o.status), "reason": o.reason,
                 "row": o.sequence.where, "step": o.step, "site": o.site,
                 "evidence": o.evidence or None} for o in outcomes]}
                for label, outcomes in self.patching],
            "summary": self.counts(), "exit_code": self.exit_code}, indent=2) + "\n"
