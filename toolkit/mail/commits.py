"""git's own text of changes that were never mailed (`git diff`, `git show`, `git log -p`) read as messages.

A developer checks work before sending it: `git show HEAD | toolkit check -`. Such text has no
mail headers. Each commit becomes a message whose sender is its `Author:`, whose subject is its
title (tagged `[PATCH k/N]`, oldest first, when there are several, as `git format-patch` would
number them) and whose body is the commit message, unindented, then the diff; a bare `git diff`
is one message with no commit message. Every line keeps its line in the file. The message says
in its `form` which it was ("commit" or "diff"), so that rules reading what only a mail has (the
sender, the commit message) can stand aside, and in a note that they did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from toolkit.mail.fields import Numbered
from toolkit.mail.message import DecodeNote, Line, Message, Person
from toolkit.mail.mime import Envelope

# "commit 3d5963194a518a41a73236e8ebd2bd49119a4af7 (HEAD -> main)": a commit of git log/show.
_COMMIT = re.compile(rb"commit ([0-9a-f]{40})\b")
# "diff --git a/f.c b/f.c", "Index: f.c" (a diff of quilt or svn), "--- a/f.c": a diff starts.
_DIFF_START = re.compile(rb"(diff --git |diff -|Index: |--- \S)")
# "Author: Ann Author <ann@example.org>", "Date:   Mon Dec 7 23:52:54 2026 +0000"
_FIELD = re.compile(r"(\w+):\s+(.*)")
_PERSON = re.compile(r"(.*?)\s*<([^<>]*)>")
#: How far git indents a commit message.
_INDENT = "    "


@dataclass(slots=True)
class CommitMail:
    """One commit (or a bare diff) cut out of git's text, read as a mail is: `envelope()` for
    grouping, `decoded()` for the message."""

    source: str
    at: int
    lines: Numbered
    title: str | None
    notes: list[DecodeNote] = field(default_factory=list)

    @property
    def stamp(self) -> str | None:
        """The `commit <sha>` line, which marks the commits of one `git log` run as one
        posting, as a From_ line of `git format-patch` does."""
        first = self.lines[0][1] if self.lines else b""
        return first.decode("ascii", "replace").strip() if _COMMIT.match(first) else None

    def envelope(self) -> Envelope:
        message = self.decoded()
        return Envelope(None, None, (), message.subject,
                        message.sender.email.lower() if message.sender else "", message.date,
                        self.stamp)

    def decoded(self) -> Message:
        return _message(self.source, self.at, self.lines, self.title, list(self.notes))


def looks_like_git(first: bytes) -> bool:
    """Whether a file whose first non-blank line is `first` is git's text of a commit or diff."""
    return bool(_COMMIT.match(first) or _DIFF_START.match(first))


def commit_mails(numbered: Numbered, source: str) -> Iterator[CommitMail]:
    """The commits of `git log -p`/`git show` text, oldest first, or the one bare diff."""
    starts = [k for k, (_, raw) in enumerate(numbered) if _COMMIT.match(raw)]
    if not starts:
        first = next((n for n, raw in numbered if raw.strip()), 1)
        yield CommitMail(source, first, numbered, None, [DecodeNote(
            "form", "read as git's text of a diff, not a mail: the rules about the commit "
            "message and the sender stand aside", first)])
        return
    pieces = [numbered[a:b] for a, b in zip(starts, [*starts[1:], len(numbered)])]
    pieces.reverse()                        # git log shows the newest first
    total = len(pieces)
    for k, piece in enumerate(pieces, 1):
        # one note says it for all the commits of the file
        notes = [DecodeNote("form", "read as git's text of a commit, not a mail: the rules "
                            "about the mail's sender stand aside", piece[0][0])] if k == 1 else []
        yield CommitMail(source, piece[0][0], piece, f"{k}/{total}" if total > 1 else "", notes)


def _message(source: str, at: int, numbered: Numbered, count: str | None,
             notes: list[DecodeNote]) -> Message:
    text = [(n, raw.decode("utf-8", "replace").rstrip("\r\n")) for n, raw in numbered]
    if count is None:
        return Message(source=source, at=at, subject=None, subject_at=None, sender=None, to=(),
                       cc=(), date=None, msgid=None, in_reply_to=None, references=(),
                       body=tuple(Line(t, n) for n, t in text), notes=tuple(notes), form="diff")
    fields: dict[str, str] = {}
    k = 1
    while k < len(text) and (found := _FIELD.fullmatch(text[k][1])):
        fields.setdefault(found.group(1).lower(), found.group(2))
        k += 1
    message_end = next((j for j in range(k, len(text)) if _DIFF_START.match(numbered[j][1])
                        or text[j][1] and not text[j][1].startswith(_INDENT)), len(text))
    message = [(n, t.removeprefix(_INDENT)) for n, t in text[k:message_end]]
    while message and not message[0][1].strip():
        message.pop(0)
    title_at, title = message.pop(0) if message else (None, "")
    person = _PERSON.fullmatch(fields.get("author", ""))
    return Message(
        source=source, at=at, subject=f"[PATCH {count}] {title}" if count else title,
        subject_at=title_at,
        sender=Person(person.group(1), person.group(2)) if person else None, to=(), cc=(),
        date=fields.get("authordate") or fields.get("date"), msgid=None, in_reply_to=None,
        references=(), body=tuple(Line(t, n) for n, t in [*message, *text[message_end:]]),
        notes=tuple(notes), stamp=text[0][1].strip(), form="commit")
