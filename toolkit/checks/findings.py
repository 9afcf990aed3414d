"""The shapes every check produces: levels, positions and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Level(enum.IntEnum):
    """How serious a finding is; a larger value is more serious (error > warning > check > note)."""

    NOTE = 1
    CHECK = 2
    WARNING = 3
    ERROR = 4

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Level":
        try:
            return cls[text.upper()]
        except KeyError:
            names = ", ".join(str(level) for level in cls)
            raise ValueError(f"unknown level {text!r} (one of {names})") from None


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based line in a file: an mbox the reviewer opened, or a source file after a patch."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class PatchRef:
    """Which mail of a series a finding is about: `index` is k of [PATCH k/N], 0 the cover letter."""

    index: int
    total: int
    subject: str
    msgid: str | None = None

    def __str__(self) -> str:
        return f"PATCH {self.index}/{self.total}: {self.subject}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One remark of a rule.

    `mbox_at` is the line of the mail file where the remark belongs; `file_at` is the line of the
    source file after the patch (a post-image line), or None when the remark is not about source.
    `patch` is None for a remark about the series as a whole; `series` names the series (see
    `Series.name`). `evidence` holds plain data (JSON-able).
    """

    rule: str
    level: Level
    message: str
    patch: PatchRef | None = None
    mbox_at: Location | None = None
    file_at: Location | None = None
    evidence: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    series: str | None = None
