"""A patch series as a reviewer sees it: cover letter, patches k/N, revisions, follow-ups, trailers.

The value objects below are the contract the checks are written against. Every piece of text keeps
`at`, the 1-based line of the mail file it came from (None only where decoding made an exact line
impossible to name), so that a finding can point the reviewer at the line they will open.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Line:
    """One line of decoded text (no line terminator; a '\\r' that belongs to the content is kept)."""

    text: str
    at: int | None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else f"<{self.email}>"


@dataclass(frozen=True, slots=True)
class Trailer:
    """A `Name: value` line of the trailer block, e.g. Signed-off-by, Fixes, Cc, Link, Reviewed-by.

    `name` is as written (its case is kept so a rule can remark on it); `person` is set when the
    value is an address.
    """

    name: str
    value: str
    at: int | None
    person: Person | None = None

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


@dataclass(frozen=True, slots=True)
class DecodeNote:
    """Something decoding had to guess or could not keep (charset guessed, bytes replaced, ...).

    `kind` is a short stable word ('charset', 'replaced', 'truncated', 'encoding', ...).
    """

    kind: str
    message: str
    at: int | None


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk: `kind` is '+', '-' or ' '; `old_line`/`new_line` are the pre-/post-image
    line numbers in the source file (None on the side the line is not in)."""

    kind: str
    text: str
    old_line: int | None
    new_line: int | None
    at: int | None


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: tuple[DiffLine, ...]
    at: int | None


@dataclass(frozen=True, slots=True)
class FileDiff:
    """The change to one file; a path is None on the /dev/null side of a creation or deletion."""

    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...]
    at: int | None
    binary: bool = False
    rename: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "+")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "-")


@dataclass(frozen=True, slots=True)
class DiffstatEntry:
    """` path | 22 +++++` (changes None for a binary file's ` Bin 0 -> 12 bytes`)."""

    path: str
    changes: int | None
    at: int | None


@dataclass(frozen=True, slots=True)
class Diffstat:
    entries: tuple[DiffstatEntry, ...]
    files_changed: int | None
    insertions: int
    deletions: int
    at: int | None


@dataclass(frozen=True, slots=True)
class Comment:
    """A reviewer's remark in a reply: the quoted lines it sits under and the reviewer's own lines."""

    quoted: tuple[Line, ...]
    text: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A reply in the thread of a patch (or of the cover letter)."""

    msgid: str | None
    author: Person
    subject: str
    at: int
    comments: tuple[Comment, ...]
    trailers: tuple[Trailer, ...]


@dataclass(frozen=True, slots=True)
class Patch:
    """One mail of a series: `index` is k of [PATCH k/N] (0 for the cover letter), `total` is N.

    `message` is the commit message body (in-body From:/Subject: lines removed, trailers not
    included); `notes` are maintainer notes in [ brackets ] inside the trailer block, in place
    order among `trailers`' lines; `below` is what stands between the `---` line and the diff.
    """

    index: int
    total: int
    revision: int
    subject: str
    raw_subject: str
    prefixes: tuple[str, ...]
    msgid: str | None
    in_reply_to: str | None
    sender: Person
    author: Person
    source: str
    at: int
    subject_at: int | None
    message: tuple[Line, ...]
    trailers: tuple[Trailer, ...]
    notes: tuple[Line, ...]
    separator_at: int | None
    below: tuple[Line, ...]
    diffstat: Diffstat | None
    files: tuple[FileDiff, ...]
    base_commit: str | None
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    date: str | None = None
    decode_notes: tuple[DecodeNote, ...] = ()
    followups: tuple[FollowUp, ...] = ()
    resend: bool = False
    rfc: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    """The revision of a series chosen for checking, and what was wrong with its numbering.

    `patches` holds patches 1..N in counter order (without the cover letter and without the
    duplicates and extras, which are listed apart). `revisions` lists every revision seen.
    """

    source: str
    revision: int
    total: int
    cover: Patch | None
    patches: tuple[Patch, ...]
    revisions: tuple[int, ...]
    missing: tuple[int, ...] = ()
    duplicates: tuple[Patch, ...] = ()
    extra: tuple[Patch, ...] = ()
    totals_seen: tuple[int, ...] = ()
    messages_read: int = 0
    decode_notes: tuple[DecodeNote, ...] = ()
    unmatched_followups: tuple[FollowUp, ...] = field(default=())
