"""The misspelling list commit messages are checked against: our own words, plus a kernel tree's list."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError, ParseError
from toolkit.x86 import SPELLING_TXT

# A word as a commit message spells it: letters, with inner apostrophes ("doesnt", "doens't").
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")

# The kernel's list separates the two spellings with "||": `mistake||correction`.
_KERNEL_SEPARATOR = "||"




@dataclass(frozen=True, slots=True)
class Typo:
    """A misspelled word of a line: `column` is 0-based, `correction` keeps the word's case."""

    word: str
    correction: str
    column: int


@dataclass(frozen=True, slots=True)
class Spelling:
    """Misspellings (lower case) mapped to their corrections."""

    corrections: Mapping[str, str]

    @classmethod
    def load(cls, tree: str | Path | None = None) -> "Spelling":
        """Our list, extended by `tree`/scripts/spelling.txt when `tree` is given and has one."""
        # beside this module (importlib.resources would cost a tenth of a one-patch check)
        ours = Path(__file__).with_name("spelling.txt")
        corrections = _parse(ours.read_text(encoding="utf-8"), "toolkit/checks/spelling.txt", None)
        if tree is not None:
            kernel_list = Path(tree) / SPELLING_TXT
            if kernel_list.is_file():
                try:
                    text = kernel_list.read_text(encoding="utf-8", errors="replace")
                except OSError as error:
                    raise InputError("cannot read the spelling list", path=str(kernel_list),
                                     why=error.strerror) from None
                corrections.update(_parse(text, str(kernel_list), _KERNEL_SEPARATOR))
        return cls(corrections)

    def typos(self, text: str) -> Iterator[Typo]:
        for match in _WORD.finditer(text):
            word = match.group()
            correction = self.corrections.get(word.lower())
            if correction is not None:
                yield Typo(word, _same_case(word, correction), match.start())


def _parse(text: str, path: str, separator: str | None) -> dict[str, str]:
    corrections = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(separator)
        if len(parts) != 2 or not all(part.strip() for part in parts):
            shape = "mistake||correction" if separator else "mistake correction"
            raise ParseError(f"expected '{shape}'", path=path, line=number)
        corrections[parts[0].strip().lower()] = parts[1].strip()
    return corrections


def _same_case(word: str, correction: str) -> str:
    if word.isupper() and len(word) > 1:
        return correction.upper()
    if word[0].isupper():
        return correction[0].upper() + correction[1:]
    return correction
