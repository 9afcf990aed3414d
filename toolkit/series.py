"""A patch series as a reviewer sees it: cover letter, patches k/N, revisions, follow-ups, trailers.

The value objects below are the contract the checks are written against. Every piece of text keeps
`at`, the 1-based line of the mail file it came from (None only where decoding made an exact line
impossible to name), so that a finding can point the reviewer at the line they will open.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import TYPE_CHECKING

from toolkit.errors import InputError, UsageError
from toolkit.subject import Subject, parse_subject

if TYPE_CHECKING:
    from toolkit.mail import Message


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


# --- reading --------------------------------------------------------------------------------------
# Everything below turns decoded messages (toolkit.mail) into the value objects above. toolkit.mail
# and toolkit.diff build these value objects, so they are imported where they are used.

# "Signed-off-by: Name <mail>", "Fixes: 1234567890ab (\"subject\")": a trailer line.
_TRAILER = re.compile(r"([A-Za-z][A-Za-z0-9-]*):[ \t]*(\S.*)?")
# "[ sam: moved the helpers into the header ]": a maintainer's note among the trailers.
_NOTE = re.compile(r"\[.*\]")
# Trailers a reviewer gives in a reply: "Reviewed-by: ...", "Acked-by: ...", "Fixes: ...".
_REPLY_TRAILER = re.compile(r"([A-Za-z-]+-by|Fixes):[ \t]*(\S.*)")
# "From: Ines Marchetti <ines@example.org>" at the top of a body: the real author.
_IN_BODY = re.compile(r"(From|Subject|Date):[ \t]*(.*)")
# " arch/x86/include/asm/text-patching.h | 22 ++++++++--": one diffstat entry (some tools
# write it without the leading space).
_DIFFSTAT_ENTRY = re.compile(r"\s*(\S.*?)\s+\|\s+(\d+)(?: [+-]*)?")
# " tools/testdata/blob.bin | Bin 0 -> 512 bytes": a binary diffstat entry.
_DIFFSTAT_BINARY = re.compile(r"\s*(\S.*?)\s+\|\s+Bin\b.*")
# "Name <user@host>" or a bare "user@host" (not "https://host/x@y"): a trailer's address.
_ADDRESS = re.compile(r"[^<>]*<[^<>\s@]+@[^<>\s@]+>\s*|[\w.+=-]+@[\w.-]+\s*")
# " 3 files changed, 41 insertions(+), 2 deletions(-)": the diffstat summary.
_DIFFSTAT_SUMMARY = re.compile(
    r"\s*(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?\s*")
# "base-commit: 5f2a1e2bde1c0c5e2bb2bd3e9d4ac37c2fc3e0c1": what the series applies to.
_BASE_COMMIT = re.compile(r"base-commit:\s*([0-9a-fA-F]{7,64})\s*")
# "prerequisite-patch-id: 0b6c...": with base-commit, what git format-patch --base appends.
_BASE_INFO = re.compile(r"(base-commit|prerequisite-patch-id):")
# The signature separator "-- ", and "--" as mail clients that strip trailing spaces send it.
_SIGNATURES = ("-- ", "--")
# Trailer names that make a paragraph a trailer block (with any "...-by").
_WELL_KNOWN_TRAILERS = frozenset({"fixes", "cc", "link", "closes", "bug", "message-id"})


def read_series(path: str, revision: int | None = None) -> Series:
    """Read the mail at `path` (see toolkit.mail) and assemble the chosen revision of its series:
    the newest unless `revision` names another. Raises InputError when no mail holds a patch and
    UsageError for a revision the mail does not have."""
    from toolkit.mail import read_messages

    return assemble(read_messages(path), path, revision)


def assemble(messages: Iterable[Message], source: str, revision: int | None = None) -> Series:
    """Group messages into revisions, pick one, number its patches and attach the replies."""
    mails = [(message, parse_subject(message.subject)) for message in messages]
    by_id = {m.msgid: i for i, (m, _) in enumerate(mails) if m.msgid}
    parents = [_parent(m, by_id) for m, _ in mails]
    patch_mails = [i for i, (m, s) in enumerate(mails) if _is_patch(m, s)]
    if not patch_mails:
        raise InputError("no patch in this mail", path=source,
                         why=f"{len(mails)} message(s) read, none with [PATCH] or a diff")

    revision_of = {}
    for i in patch_mails:
        subject, root = mails[i][1], mails[_root(i, parents)][1]
        # "[PATCH 2/3]" threaded under "[PATCH v2 0/3]" belongs to v2, wherever the cover is
        given = subject if subject.revision_given or not root.revision_given else root
        revision_of[i] = given.revision
    revisions = tuple(sorted(set(revision_of.values())))
    chosen = revisions[-1] if revision is None else revision
    if chosen not in revisions:
        raise UsageError(f"no revision {chosen} in this mail", path=source,
                         why="revisions found: " + ", ".join(f"v{r}" for r in revisions))
    members = [i for i in patch_mails if revision_of[i] == chosen]
    covers = [i for i in members if mails[i][1].counter == 0]
    if not covers:
        # A mail without tags that the patches answer is their cover letter (b4 calls it naked).
        naked = sorted(j for j in {parents[i] for i in members} - {None}
                       if not (mails[j][1].reply or mails[j][1].forward or j in revision_of))
        if naked:
            covers = naked[:1]
            members = sorted([*members, naked[0]])
            patch_mails = sorted([*patch_mails, naked[0]])
            revision_of[naked[0]] = chosen

    totals = [mails[i][1].expected for i in members if mails[i][1].expected is not None]
    if covers and mails[covers[0]][1].expected is not None:
        total = mails[covers[0]][1].expected
    elif totals:
        total = collections.Counter(totals).most_common(1)[0][0]
    else:
        total = 1
    index_of = {i: 1 if mails[i][1].counter is None else mails[i][1].counter for i in members}
    index_of.update((i, 0) for i in covers)

    # Replies go to the patch they answer: by thread, else by the subject they repeat.
    followups: dict[int, list[int]] = collections.defaultdict(list)
    unmatched = []
    by_subject = {(mails[i][1].text, index_of[i]): i for i in reversed(members)}
    patch_set = set(patch_mails)
    for i, (_, subject) in enumerate(mails):
        if i in patch_set:
            continue
        target = _answered(i, parents, patch_set)
        if target is None and subject.reply:
            counter = subject.counter if subject.counter is not None else 1
            target = by_subject.get((subject.text, counter))
        if target is None:
            unmatched.append(i)
        elif revision_of[target] == chosen:
            followups[target].append(i)

    def build(i: int) -> Patch:
        message, subject = mails[i]
        replies = tuple(_followup(mails[j][0]) for j in followups.get(i, ()))
        return _patch(message, subject, index_of[i], total, chosen, replies)

    cover = None
    patches: dict[int, Patch] = {}
    duplicates, extra = [], []
    for i in members:
        index = index_of[i]
        if index == 0 and cover is None:
            cover = build(i)
        elif index == 0 or index in patches:
            duplicates.append(build(i))
        elif index > total:
            extra.append(build(i))
        else:
            patches[index] = build(i)
    chosen_set = set(members)
    notes = tuple(note for i, (m, _) in enumerate(mails) if i not in chosen_set for note in m.notes)
    return Series(
        source=source, revision=chosen, total=total, cover=cover,
        patches=tuple(patches[k] for k in sorted(patches)), revisions=revisions,
        missing=tuple(k for k in range(1, total + 1) if k not in patches),
        duplicates=tuple(duplicates), extra=tuple(extra),
        totals_seen=tuple(sorted(set(totals))) if len(set(totals)) > 1 else (),
        messages_read=len(mails), decode_notes=notes,
        unmatched_followups=tuple(_followup(mails[j][0]) for j in unmatched))


def _is_patch(message: Message, subject: Subject) -> bool:
    from toolkit.diff import diff_start

    if subject.reply or subject.forward:
        return False
    return subject.is_patch or diff_start(message.body, 0) < len(message.body)


def _parent(message: Message, by_id: dict[str, int]) -> int | None:
    """The message this one answers: In-Reply-To if it is in the mail, else the nearest
    References entry that is."""
    for msgid in (message.in_reply_to, *reversed(message.references)):
        if msgid and msgid in by_id and msgid != message.msgid:
            return by_id[msgid]
    return None


def _root(i: int, parents: list[int | None]) -> int:
    seen = {i}
    while (parent := parents[i]) is not None and parent not in seen:
        seen.add(parent)
        i = parent
    return i


def _answered(i: int, parents: list[int | None], patches: set[int]) -> int | None:
    """The nearest patch mail up the thread from message i."""
    seen = {i}
    while (parent := parents[i]) is not None and parent not in seen:
        if parent in patches:
            return parent
        seen.add(parent)
        i = parent
    return None


def _patch(message: Message, subject: Subject, index: int, total: int, revision: int,
           followups: tuple[FollowUp, ...]) -> Patch:
    from toolkit.diff import diff_start, parse_diff

    lines = list(message.body)
    start = _skip_blank(lines, 0)
    in_body: dict[str, Line] = {}
    while start < len(lines) and (found := _IN_BODY.fullmatch(lines[start].text)):
        in_body.setdefault(found.group(1), Line(found.group(2).strip(), lines[start].at))
        start += 1
    if in_body:
        start = _skip_blank(lines, start)

    diff_at = diff_start(lines, start)
    if diff_at == len(lines):
        lines = _strip_signature(lines)
        diff_at = len(lines)
    separator = next((k for k in range(start, diff_at) if lines[k].text.rstrip() == "---"), None)
    text_end = diff_at if separator is None else separator
    # base-commit lines are no trailers, but a cover letter has them in its text
    message_lines, trailers, notes = _trailer_block(
        [line for line in lines[start:text_end] if not _BASE_INFO.match(line.text)])
    below = tuple(_trim(lines[separator + 1:diff_at])) if separator is not None else ()

    files, diff_notes = parse_diff(lines[diff_at:])
    # no diff line starts with "base-commit:", so it is found wherever git put it
    base = next((found.group(1) for line in lines
                 if (found := _BASE_COMMIT.fullmatch(line.text))), None)

    sender = message.sender or Person("", "")
    author = _person(in_body["From"].text) if "From" in in_body else None
    title = in_body.get("Subject")
    return Patch(
        index=index, total=total, revision=revision,
        subject=parse_subject(title.text).text if title else subject.text,
        raw_subject=subject.raw, prefixes=subject.prefixes,
        msgid=message.msgid, in_reply_to=message.in_reply_to,
        sender=sender, author=author or sender, source=message.source, at=message.at,
        subject_at=title.at if title else message.subject_at,
        message=message_lines, trailers=trailers, notes=notes,
        separator_at=lines[separator].at if separator is not None else None,
        below=below, files=files, base_commit=base,
        # a cover letter has no '---' line: its diffstat stands in the message
        diffstat=_diffstat(below if separator is not None else message_lines),
        to=message.to, cc=message.cc, date=message.date,
        decode_notes=message.notes + diff_notes, followups=followups,
        resend=subject.resend, rfc=subject.rfc)


def _skip_blank(lines: list[Line], k: int) -> int:
    while k < len(lines) and not lines[k].text.strip():
        k += 1
    return k


def _trailer_block(lines: list[Line]
                   ) -> tuple[tuple[Line, ...], tuple[Trailer, ...], tuple[Line, ...]]:
    """Split a commit message from the trailer lines that end its last paragraph (with
    maintainer notes and indented continuation lines among them). Text above them in the same
    paragraph stays in the message, as when a sign-off follows the last sentence directly."""
    text = _trim(lines[_skip_blank(lines, 0):])
    begin = len(text)
    while begin and _trailer_like(text[begin - 1].text):
        begin -= 1
    # A continuation needs the trailer it continues: up to the last indented line before the
    # first trailer (after a maintainer's note, say), the paragraph stays message text.
    first = next((k for k in range(begin, len(text)) if _TRAILER.fullmatch(text[k].text.rstrip())),
                 len(text))
    begin = max([begin] + [k + 1 for k in range(begin, first) if text[k].text[:1] in (" ", "\t")])
    trailers: list[Trailer] = []
    notes: list[Line] = []
    for line in text[begin:]:
        if _NOTE.fullmatch(line.text.strip()):
            notes.append(line)
        elif line.text[:1] in (" ", "\t"):
            last = trailers[-1]
            value = f"{last.value} {line.text.strip()}"
            trailers[-1] = Trailer(last.name, value, last.at, _person(value))
        else:
            found = _TRAILER.fullmatch(line.text.rstrip())
            value = found.group(2) or ""
            trailers.append(Trailer(found.group(1), value, line.at, _person(value)))
    if not any(t.name.lower().endswith("-by") or t.name.lower() in _WELL_KNOWN_TRAILERS
               for t in trailers):
        # "v2: reworded" alone is a line of text, not a trailer block
        return tuple(text), (), ()
    return tuple(_trim(text[:begin])), tuple(trailers), tuple(notes)


def _trailer_like(text: str) -> bool:
    return bool(text.strip()) and bool(_NOTE.fullmatch(text.strip()) or text[:1] in (" ", "\t")
                                       or _TRAILER.fullmatch(text.rstrip()))


def _person(value: str) -> Person | None:
    """The address in a trailer or From: value, if it holds one."""
    # "stable@vger.kernel.org # 5.2+": the comment after '#' is no part of the address
    # "Name <a@b<mailto:a@b>>": what some mailers make of a pasted address
    address = re.sub(r"<mailto:[^<>]*>", "", value.split("#")[0])
    if not _ADDRESS.fullmatch(address):
        return None
    name, email = parseaddr(address)
    return Person(name, email) if email else None


def _strip_signature(lines: list[Line]) -> list[Line]:
    """Drop a mail signature: the last '-- ' line and everything after it."""
    for k in range(len(lines) - 1, -1, -1):
        if lines[k].text in _SIGNATURES:
            return lines[:k]
    return lines


def _diffstat(below: tuple[Line, ...]) -> Diffstat | None:
    entries: list[DiffstatEntry] = []
    summary = None
    for line in below:
        if found := _DIFFSTAT_BINARY.fullmatch(line.text):
            entries.append(DiffstatEntry(found.group(1), None, line.at))
        elif found := _DIFFSTAT_ENTRY.fullmatch(line.text):
            entries.append(DiffstatEntry(found.group(1), int(found.group(2)), line.at))
        elif found := _DIFFSTAT_SUMMARY.fullmatch(line.text):
            summary = (found, line.at)
    if not entries and summary is None:
        return None
    counts = summary[0].groups(default="0") if summary else (None, "0", "0")
    return Diffstat(
        entries=tuple(entries),
        files_changed=int(counts[0]) if counts[0] is not None else None,
        insertions=int(counts[1]), deletions=int(counts[2]),
        at=entries[0].at if entries else summary[1])


def _followup(message: Message) -> FollowUp:
    lines = _strip_signature(list(message.body))
    trailers: list[Trailer] = []
    comments: list[Comment] = []
    quoted: list[Line] = []
    text: list[Line] = []

    def flush() -> None:
        own = _trim(text)
        if own:
            comments.append(Comment(tuple(quoted), tuple(own)))

    for line in lines:
        if line.text.startswith(">"):
            if text:
                flush()
                quoted.clear()
                text.clear()
            quoted.append(line)
        elif found := _REPLY_TRAILER.fullmatch(line.text.strip()):
            trailers.append(Trailer(found.group(1), found.group(2), line.at,
                                    _person(found.group(2))))
        else:
            text.append(line)
    flush()
    return FollowUp(msgid=message.msgid, author=message.sender or Person("", ""),
                    subject=message.subject or "", at=message.at, comments=tuple(comments),
                    trailers=tuple(trailers))


def _trim(lines: list[Line]) -> list[Line]:
    begin, end = 0, len(lines)
    while begin < end and not lines[begin].text.strip():
        begin += 1
    while end > begin and not lines[end - 1].text.strip():
        end -= 1
    return lines[begin:end]
