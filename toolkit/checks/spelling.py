"""The misspelling lists a patch is checked against: codespell's dictionary, a kernel tree's list, and our own words."""

from __future__ import annotations

import contextlib
import marshal
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from toolkit.cache import folder, write_atomic
from toolkit.errors import InputError, ParseError
from toolkit.x86 import SPELLING_TXT

# A word as a commit message spells it: letters, with inner apostrophes ("doesnt", "doens't").
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")

# The kernel's list separates the two spellings with "||": `mistake||correction`.
_KERNEL_SEPARATOR = "||"
# codespell's dictionary (the file checkpatch.pl --codespell reads): `mistake->fix` or
# `mistake->fix, other fix,`.
_CODESPELL_SEPARATOR = "->"
# A word of prose as it stands between blanks: letters, perhaps in brackets and followed by
# punctuation; not part of an identifier (`int3_emulate`, `foo()`, `a->b`, `x86`), and not in
# quotes (`fix the 'pading' typo` names the word it fixes).
_PROSE_WORD = re.compile(r"[(\[]?([A-Za-z]+(?:'[A-Za-z]+)*)[)\]]?[.,;:!?]*")
# codespell's two-letter entries ("fo", "te", "ue") are register, field and variable names in
# kernel mail far more often than typos.
_SHORTEST_CODESPELL_WORD = 3


@dataclass(frozen=True, slots=True)
class Typo:
    """A misspelled word of a line: `column` is 0-based, `correction` keeps the word's case."""

    word: str
    correction: str
    column: int


@dataclass(frozen=True, slots=True)
class Spelling:
    """Misspellings (lower case) mapped to their corrections: `corrections` (a kernel tree's list
    and ours) for every text of a patch, `prose` (codespell's dictionary) for the words of its
    subject and commit message only."""

    corrections: Mapping[str, str]
    #: words codespell lists that kernel mail uses as they are (checks/kernel-terms.txt)
    terms: frozenset[str] = frozenset()

    @property
    def prose(self) -> Mapping[str, str]:
        """codespell's dictionary, read when first asked for (a patch with no message words to
        judge does not pay for its 65,000 lines)."""
        return _codespell()

    @classmethod
    def load(cls, tree: str | Path | None = None) -> "Spelling":
        """codespell's dictionary and our list, with `tree`/scripts/spelling.txt when `tree` is
        given and has one (its corrections win over the others)."""
        corrections = dict(_ours())
        if tree is not None:
            kernel_list = Path(tree) / SPELLING_TXT
            if kernel_list.is_file():
                try:
                    text = kernel_list.read_text(encoding="utf-8", errors="replace")
                except OSError as error:
                    raise InputError("cannot read the spelling list", path=str(kernel_list),
                                     why=error.strerror) from None
                corrections.update(_parse(text, str(kernel_list), _KERNEL_SEPARATOR))
        return cls(corrections, _terms())

    def typos(self, text: str) -> Iterator[Typo]:
        for match in _WORD.finditer(text):
            word = match.group()
            correction = self.corrections.get(word.lower())
            if correction is not None:
                yield Typo(word, _same_case(word, correction), match.start())

    def prose_typos(self, text: str, names: frozenset[str] = frozenset()) -> Iterator[Typo]:
        """The typos of a line of prose: those of `typos`, and codespell's for the words that
        stand alone as words (not an identifier, an acronym, a CamelCase name, or one of
        `names`, the lower-case identifiers of the code the text is about)."""
        seen = set()
        for typo in self.typos(text):
            seen.add(typo.column)
            yield typo
        for match in re.finditer(r"\S+", text):
            found = _PROSE_WORD.fullmatch(match.group())
            if found is None:
                continue
            word = found.group(1)
            column = match.start() + found.start(1)
            correction = self.prose.get(word.lower())
            if (not correction or column in seen or len(word) < _SHORTEST_CODESPELL_WORD
                    or word.lower() in names or word.lower() in self.terms
                    or not (word.islower() or word.istitle())):
                continue
            yield Typo(word, _same_case(word, _fixes(correction)), column)


# The data files sit beside this module (importlib.resources would cost a tenth of a one-patch
# check).
@cache
def _ours() -> dict[str, str]:
    ours = Path(__file__).with_name("spelling.txt")
    return _parse(ours.read_text(encoding="utf-8"), "toolkit/checks/spelling.txt", None)


@cache
def _terms() -> frozenset[str]:
    text = Path(__file__).with_name("kernel-terms.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


class _Dictionary(Mapping[str, str]):
    """codespell's table, looked up without being built: one text of `mistake->fix` lines sorted
    by mistake, and where each two-letter start of a mistake begins and ends in it. A one-patch
    check asks for a few hundred words of 65,000; building the dict of all of them was a tenth of
    its time."""

    def __init__(self, text: str, starts: dict[str, tuple[int, int]]) -> None:
        self._text = text
        self._starts = starts

    @classmethod
    def of(cls, table: dict[str, str]) -> "_Dictionary":
        lines = [f"{wrong}{_CODESPELL_SEPARATOR}{right}" for wrong, right in sorted(table.items())]
        text = "\n" + "\n".join(lines) + "\n"
        starts: dict[str, tuple[int, int]] = {}
        at = 0
        for line in lines:
            first, end = starts.get(line[:2], (at, at))
            starts[line[:2]] = (first, at + 1 + len(line))
            at += 1 + len(line)
        return cls(text, starts)

    def __getitem__(self, word: str) -> str:
        start, end = self._starts.get(word[:2], (0, 0))
        key = f"\n{word}{_CODESPELL_SEPARATOR}"
        found = self._text.find(key, start, end + 1) if word else -1
        if found < 0:
            raise KeyError(word)
        value = found + len(key)
        return self._text[value:self._text.index("\n", value)]

    def __iter__(self) -> Iterator[str]:
        for line in self._text[1:-1].split("\n"):
            yield line.split(_CODESPELL_SEPARATOR, 1)[0]

    def __len__(self) -> int:
        return self._text.count("\n") - 1


@cache
def _codespell() -> Mapping[str, str]:
    """codespell's dictionary.txt, as the codespell package ships it: a misspelling (lower
    case) maps to its fix as written there, or to its fixes ("fix, other fix,"; see `_fixes`)."""
    # found without importing codespell, whose command-line module is all the package holds
    path = Path(find_spec("codespell_lib").origin).with_name("data") / "dictionary.txt"
    # Parsing its 65,000 lines is a third of a one-patch check; the sorted table is kept in the
    # cache, named by the file's size and time and by the Python that wrote it (marshal's format
    # is Python's own).
    info = path.stat()
    kept = folder("spelling") / (f"codespell-{info.st_size}-{info.st_mtime_ns}-"
                                 f"py{sys.version_info[0]}.{sys.version_info[1]}.sorted.marshal")
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        text, starts = marshal.loads(kept.read_bytes())
        if isinstance(text, str) and isinstance(starts, dict):
            return _Dictionary(text, starts)
    pairs = [line.split(_CODESPELL_SEPARATOR, 1)
             for line in path.read_text(encoding="utf-8").splitlines()]
    bad = next((number for number, pair in enumerate(pairs, start=1) if len(pair) != 2), None)
    if bad is not None:
        raise ParseError("expected 'mistake->correction'", path=str(path), line=bad)
    table = _Dictionary.of({wrong.lower(): right for wrong, right in pairs})
    write_atomic(kept, marshal.dumps((table._text, table._starts)))
    return table


def _fixes(written: str) -> str:
    """codespell's fix or fixes as one suggestion: "abort, abbot," -> "abort, abbot"."""
    return ", ".join(fix.strip() for fix in written.split(",") if fix.strip())


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
