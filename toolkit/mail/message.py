"""A mail as the toolkit reads it: decoded header fields and body lines that keep their file line."""

from __future__ import annotations

from dataclasses import dataclass


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
class DecodeNote:
    """Something decoding had to guess or could not keep (charset guessed, bytes replaced, ...).

    `kind` is a short stable word ('charset', 'replaced', 'truncated', 'encoding', ...).
    """

    kind: str
    message: str
    at: int | None


@dataclass(frozen=True, slots=True)
class Message:
    """One mail as decoded text; `at` is the line of its first line (the From_ line) in `source`."""

    source: str
    at: int
    subject: str | None
    subject_at: int | None
    sender: Person | None
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    date: str | None
    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    body: tuple[Line, ...]
    notes: tuple[DecodeNote, ...]
    #: the From_ line the mail was filed under, as text; None for a mail without one
    stamp: str | None = None
    #: "mail"; "commit" for git's text of a commit (git show, git log -p), "diff" for a bare
    #: diff: they lack what rules about the sender or the commit message read
    form: str = "mail"
    #: header fields of mail transport (`mime.TRANSPORT_FIELDS`: who a list or relay sent the
    #: mail for, the list, a stable queue's marks) by lower-case name, decoded
    transport: tuple[tuple[str, str], ...] = ()
    #: `git patch-id --stable` of the diff in the mail's raw text (toolkit.mail.patchid), None
    #: without one: the same change in another posting has the same id
    patch_id: str | None = None

    def field(self, name: str) -> str | None:
        """The decoded value of transport header field `name` (lower case), if the mail has it."""
        return next((value for key, value in self.transport if key == name), None)
