"""What a rule is (`Rule`: name, level, documentation, check) and what its check is given (`Context`)."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit import lazy
from toolkit.checks.findings import Finding, Level, Location, PatchRef
from toolkit.checks.spelling import Spelling
from toolkit.series.model import Patch, Series
from toolkit.x86 import HELPER_PREFIX, MODELLED_FILES

if TYPE_CHECKING:
    from toolkit.states.int3path import Int3Paths

# The states load the header model (pycparser): only a series that touches the model needs them.
int3path = lazy.module("toolkit.states.int3path")


class CheckRun:
    """One check of a series: the series, the misspelling list, and the int3 path after each
    patch, which is built from the hunks over the reference model when a rule first asks (most
    rules never do, and building it loads the header model) unless a repository gave it."""

    def __init__(self, series: Series, spelling: Spelling, paths: Int3Paths | None = None,
                 trials: Any = None) -> None:
        self.series = series
        self.spelling = spelling
        #: toolkit.checks.trial.Trials: the bounds of running the states' code, and what ran
        self.trials = trials
        self._said: set[str] = set()
        #: the states come from a repository (--tree), not from the reference model
        self.repository = paths is not None
        if paths is not None:
            self.paths = paths

    def first_time(self, what: str) -> bool:
        """True the first time `what` is asked about in this check (a remark made once per
        series, whichever rule meets its cause first)."""
        first = what not in self._said
        self._said.add(what)
        return first

    @functools.cached_property
    def paths(self) -> Int3Paths:
        return int3path.over_reference(self.series)

    @functools.cached_property
    def modelled(self) -> bool:
        """Whether the int3 path rules have anything to judge: always with a repository; without
        one, when a patch changes a file of the reference model or adds a line naming a helper
        (a handler that calls them). Most patches of a list do neither, and skip the states."""
        if self.repository:
            return True
        return any(diff.path in MODELLED_FILES or any(
                   HELPER_PREFIX in line.text for hunk in diff.hunks for line in hunk.lines
                   if line.kind == "+")
                   for patch in self.series.patches for diff in patch.files)


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule and its documentation; `scope` says what `check` is given:

    'patch' — each patch 1..N; 'mail' — each patch and the cover letter; 'series' — the series.
    """

    name: str
    level: Level
    scope: str
    summary: str
    trigger: str
    why: str
    fix: str
    check: Callable[..., Iterable[Finding]]

    def __str__(self) -> str:
        parts = (f"{self.name} ({self.level}): {self.summary}", f"Triggered by: {self.trigger}",
                 f"Why: {self.why}", f"How to fix: {self.fix}")
        return "\n\n".join(textwrap.fill(part, 78, break_on_hyphens=False) for part in parts) + "\n"


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule's check needs besides its input: its own rule and the run it is part of."""

    rule: Rule
    run: CheckRun

    @property
    def series(self) -> Series:
        return self.run.series

    @property
    def spelling(self) -> Spelling:
        return self.run.spelling

    @property
    def paths(self) -> Int3Paths:
        """The int3 path after each patch of the series."""
        return self.run.paths

    @property
    def trials(self) -> Any:
        """The check's toolkit.checks.trial.Trials."""
        return self.run.trials

    def finding(self, patch: Patch, message: str, at: int | None,
                file_at: Location | None = None, **evidence: Any) -> Finding:
        """A remark about `patch`; `at` is a line of the mail file the patch came from."""
        return Finding(self.rule.name, self.rule.level, message,
                       PatchRef(patch.index, patch.total, patch.subject, patch.msgid),
                       Location(patch.source, at), file_at, evidence, self.series.name)

    def about_series(self, series: Series, message: str, at: int | None = None,
                     **evidence: Any) -> Finding:
        """A remark about the series as a whole (no single patch to name)."""
        return Finding(self.rule.name, self.rule.level, message, None,
                       Location(series.source, at), None, evidence, series.name)
