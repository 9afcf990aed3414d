"""A patch series as a reviewer sees it: cover letter, patches k/N, revisions, follow-ups, trailers.

The value objects below are the contract the checks are written against. Every piece of text keeps
`at`, the 1-based line of the mail file it came from (None only where decoding made an exact line
impossible to name), so that a finding can point the reviewer at the line they will open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.mail.message import DecodeNote, Line, Person
from toolkit.series.diff import DiffLine, FileDiff

#: The most patches a series is taken to have: the missing ones are listed up to this, and a
#: subject that counts more ("[PATCH 1/999999999]") is a numbering finding, not a list to build.
MAX_TOTAL = 9999

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
class ReviewComment:
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
    comments: tuple[ReviewComment, ...]
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
    #: sent for the author by a relay that kept only their name ("Name via some-list" with no
    #: X-Original-From:) or by a bot (a commit notification)
    relayed: bool = False
    #: every address the mail's From:, X-Original-From: and Reply-To: show for its sender
    aliases: tuple[Person, ...] = ()
    #: a patch of a stable queue posted for review (AUTOSEL, "[ Upstream commit ... ]")
    stable: bool = False
    #: the form it came in: "mail", or git's text of a "commit" or a "diff" (toolkit.mail.commits)
    form: str = "mail"

    def line_at(self, at: int | None) -> DiffLine | None:
        """The diff line at mail line `at`, if the diff has one there."""
        return next((ln for diff in self.files for h in diff.hunks for ln in h.lines
                     if at is not None and ln.at == at), None)

    def shows(self, path: str, line: int) -> DiffLine | None:
        """The diff line that shows post-image line `line` of `path`, if the diff does."""
        return next((ln for diff in self.files if diff.path == path for h in diff.hunks
                     for ln in h.lines if ln.kind != "-" and ln.new_line == line), None)

    def mail_line(self, path: str, line: int) -> int | None:
        """The mail line of post-image line `line` of `path`, if the diff shows it."""
        shown = self.shows(path, line)
        return None if shown is None else shown.at


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
    #: older copies of mails that were sent again (the newest copy is among the patches)
    superseded: tuple[Patch, ...] = ()
    extra: tuple[Patch, ...] = ()
    totals_seen: tuple[int, ...] = ()
    messages_read: int = 0
    decode_notes: tuple[DecodeNote, ...] = ()
    unmatched_followups: tuple[FollowUp, ...] = field(default=())

    @property
    def first(self) -> Patch | None:
        """The mail that opens the series: the cover letter, else its first patch."""
        mails = (self.cover, *self.patches, *self.duplicates, *self.extra)
        return next((m for m in mails if m is not None), None)

    @property
    def name(self) -> str:
        """How findings name the series: the message id of its first mail, `<id>`, or where that
        mail starts in the file when it has none."""
        first = self.first
        if first is None:
            return self.source
        return f"<{first.msgid}>" if first.msgid else f"{first.source}:{first.at}"
