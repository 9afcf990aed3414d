"""One mail read as a patch: in-body headers, commit message, trailers, notes, diffstat, diff, replies.

What is read keeps the line of the mail file it came from (`at`), so that a finding about it can
name the line a reviewer will open.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from toolkit.mail.message import Line, Message, Person
from toolkit.series.diff import diff_start, parse_diff
from toolkit.series.model import Diffstat, DiffstatEntry, FollowUp, Patch, ReviewComment, Trailer
from toolkit.series.subject import Subject, parse_subject

# "Signed-off-by: Name <mail>", "Fixes: 1234567890ab (\"subject\")": a trailer line.
_TRAILER = re.compile(r"([A-Za-z][A-Za-z0-9-]*):[ \t]*(\S.*)?")
# "[ sam: moved the helpers into the header ]": a maintainer's note among the trailers.
_NOTE = re.compile(r"\[.*\]")
# Trailers a reviewer gives in a reply: "Reviewed-by: ...", "Acked-by: ...", "Fixes: ...".
_REPLY_TRAILER = re.compile(r"([A-Za-z-]+-by|Fixes):[ \t]*(\S.*)")
# "From: Ines Marchetti <ines@example.org>" at the top of a body: the real author.
_IN_BODY = re.compile(r"(From|Subject|Date):[ \t]*(.*)")
# " arch/x86/include/asm/text-patching.h | 22 ++++++++--": one diffstat entry (some tools
# write it without the leading space). The name ends in a non-space: a name that may end
# anywhere in a run of spaces makes a line of 100,000 spaces take quadratic time.
_DIFFSTAT_ENTRY = re.compile(r"\s*(\S(?:.*?\S)?)\s+\|\s+(\d+)(?: [+-]*)?")
# " tools/testdata/blob.bin | Bin 0 -> 512 bytes": a binary diffstat entry.
_DIFFSTAT_BINARY = re.compile(r"\s*(\S(?:.*?\S)?)\s+\|\s+Bin\b.*")
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
# "Author:        Peter Zijlstra <peterz@infradead.org>", "Commit-ID: 936e...": the fields a
# commit notification puts above the commit it announces.
_NOTIFICATION_FIELD = re.compile(
    r"(Commit-ID|Gitweb|Author|AuthorDate|Committer|CommitterDate|Commit|Date):\s*(.*)")
# "Jane Doe via B4 Relay", "tip-bot2 for Peter Zijlstra": a sender name wrapped by who relayed it.
_SENT_FOR = re.compile(r"(?P<via>.+?)\s+via\s+\S.*|[\w.-]*bot[\w.-]*\s+for\s+(?P<bot>.+)",
                       re.IGNORECASE)
# Trailer names that make a paragraph a trailer block (with any "...-by").
_WELL_KNOWN_TRAILERS = frozenset({"fixes", "cc", "link", "closes", "bug", "message-id"})


def patch_of(message: Message, subject: Subject, index: int, total: int, revision: int,
           followups: tuple[FollowUp, ...]) -> Patch:
    lines = list(message.body)
    start = _skip_blank(lines, 0)
    in_body: dict[str, Line] = {}
    while start < len(lines) and (found := _IN_BODY.fullmatch(lines[start].text)):
        in_body.setdefault(found.group(1), Line(found.group(2).strip(), lines[start].at))
        start += 1
    if in_body:
        start = _skip_blank(lines, start)
    notification = False
    if not in_body:
        start, notification = _notification(lines, start, in_body)

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
    relayed = notification or bool(_SENT_FOR.fullmatch(sender.name))
    if author is None:
        author = _unwrapped(sender)
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
        resend=subject.resend, rfc=subject.rfc, relayed=relayed, form=message.form)


def _notification(lines: list[Line], start: int, in_body: dict[str, Line]) -> tuple[int, bool]:
    """Where the commit message of a commit notification starts (tip-bot, `git show
    --pretty=fuller`), and whether the mail is one: after an optional banner paragraph, a block
    of `Author:`, `Commit-ID:`, `Committer:`... lines and the commit's title, which go into
    `in_body` as From and Subject. Anything else starts where it starts."""
    for begin in (start, _skip_blank(lines, _paragraph_end(lines, start))):
        end = _paragraph_end(lines, begin)
        fields = [_NOTIFICATION_FIELD.fullmatch(line.text) for line in lines[begin:end]]
        if end > begin and all(fields) and any(f.group(1) == "Author" for f in fields):
            author = next(line for line, f in zip(lines[begin:end], fields)
                          if f.group(1) == "Author")
            in_body["From"] = Line(_NOTIFICATION_FIELD.fullmatch(author.text).group(2), author.at)
            title = _skip_blank(lines, end)
            if title < len(lines) and not diff_start(lines, title) == title:
                in_body["Subject"] = Line(lines[title].text.strip(), lines[title].at)
                return _skip_blank(lines, title + 1), True
            return title, True
    return start, False


def _paragraph_end(lines: list[Line], k: int) -> int:
    while k < len(lines) and lines[k].text.strip():
        k += 1
    return k


def _unwrapped(sender: Person) -> Person:
    """The person a list or a bot sent the mail for: "Name via B4 Relay", "tip-bot2 for Name"."""
    found = _SENT_FOR.fullmatch(sender.name)
    if not found:
        return sender
    return Person((found.group("via") or found.group("bot")).strip(), sender.email)


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
    # A stray line inside the trailers ("Reviewed-by：" with a full-width colon, a mangled
    # address) does not end them: as for git, a last paragraph of three quarters trailers is
    # the trailer block, and its other lines are kept as notes.
    paragraph = begin
    while paragraph and text[paragraph - 1].text.strip():
        paragraph -= 1
    block = text[paragraph:]
    if paragraph < begin and 4 * sum(map(lambda ln: _trailer_like(ln.text), block)) >= 3 * len(block):
        begin = paragraph
    # A continuation needs the trailer it continues: up to the last indented line before the
    # first trailer (after a maintainer's note, say), the paragraph stays message text.
    first = next((k for k in range(begin, len(text)) if _TRAILER.fullmatch(text[k].text.rstrip())),
                 len(text))
    begin = max([begin] + [k + 1 for k in range(begin, first) if text[k].text[:1] in (" ", "\t")])
    trailers: list[Trailer] = []
    notes: list[Line] = []
    for line in text[begin:]:
        if _NOTE.fullmatch(line.text.strip()) or not _trailer_like(line.text):
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
    try:
        name, email = parseaddr(address)
    except RecursionError:      # the email package recurses once per nested "(": no address
        return None
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


def followup_of(message: Message) -> FollowUp:
    lines = _strip_signature(list(message.body))
    trailers: list[Trailer] = []
    comments: list[ReviewComment] = []
    quoted: list[Line] = []
    text: list[Line] = []

    def flush() -> None:
        own = _trim(text)
        if own:
            comments.append(ReviewComment(tuple(quoted), tuple(own)))

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
