"""One mail read as a patch: in-body headers, commit message, trailers, notes, diffstat, diff, replies.

What is read keeps the line of the mail file it came from (`at`), so that a finding about it can
name the line a reviewer will open.
"""

from __future__ import annotations

import re
import unicodedata
from email._parseaddr import AddressList

from toolkit.mail.message import Line, Message, Person
from toolkit.series.diff import diff_start, parse_diff
from toolkit.series.model import Diffstat, DiffstatEntry, FollowUp, Patch, ReviewComment, Trailer
from toolkit.series.subject import Subject, parse_subject

# "Signed-off-by: Name <mail>", "Fixes: 1234567890ab (\"subject\")": a trailer line as git's
# find_separator() reads one: a token of ASCII letters, digits and '-', blanks, then ':'.
_TRAILER = re.compile(r"([A-Za-z0-9-]+)[ \t]*:(.*)")
# The trailers git writes itself; one of them lets a paragraph of other lines be the block.
_GIT_TRAILERS = ("Signed-off-by: ", "(cherry picked from commit ")
# Trailer names (besides any "...-by") that make a block of trailers more than prose.
_TRAILER_WORDS = frozenset({"fixes", "cc", "link", "closes", "bug", "message-id"})
# What git's isspace() calls blank (not a no-break space).
_ASCII_SPACE = " \t\n\r\v\f"
# Trailers a reviewer gives in a reply: "Reviewed-by: ...", "Acked-by: ...", "Fixes: ...".
_REPLY_TRAILER = re.compile(r"([A-Za-z-]+-by|Fixes):[ \t]*(\S.*)")
# "From: Ines Marchetti <ines@example.org>" at the top of a body: the real author.
_IN_BODY = re.compile(r"(From|Subject|Date):[ \t]*(.*)", re.IGNORECASE)
# "-- >8 --", "----->8-----", "8<----": a scissors line, above which a reply's own text ends.
_SCISSORS = re.compile(r"[ \t]*-[- \t]*(?:>8|8<)[- \t>8<]*(?:cut here[- \t>8<]*)?")
# "6.12-stable review patch.  If anyone has any objections, please let me know.": the banner of
# a stable queue's review posting.
_REVIEW_BANNER = re.compile(r"\s*\d+\.\d+(?:\.\d+)?(?:-stable|-rc\d*)? review patch\b",
                            re.IGNORECASE)
# "[ Upstream commit 0123456789ab... ]", "commit 0123456789ab... upstream.": the line a stable
# backport opens with.
_UPSTREAM = re.compile(r"\s*(?:\[\s*upstream commit [0-9a-f]{12,40}\s*\]|"
                       r"commit [0-9a-f]{12,40} upstream\.?)\s*", re.IGNORECASE)
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
# The footers lists add to every mail: Google Groups' (after a '-- ' line) and mailman's (after
# a rule of underscores). Neither is the author's text.
_FOOTER = re.compile(r"You received this message because you are subscribed to the Google "
                     r"Groups\b|\S+ mailing list\s*$")
_RULE = "_" * 20
# "Author:        Peter Zijlstra <peterz@infradead.org>", "Commit-ID: 936e...": the fields a
# commit notification puts above the commit it announces.
_NOTIFICATION_FIELD = re.compile(
    r"(Commit-ID|Gitweb|Author|AuthorDate|Committer|CommitterDate|Commit|Date):\s*(.*)")
# "Jane Doe via B4 Relay", "tip-bot2 for Peter Zijlstra": a sender name wrapped by who relayed it.
_SENT_FOR = re.compile(r"(?P<via>.+?)\s+via\s+\S.*|[\w.-]*bot[\w.-]*\s+for\s+(?P<bot>.+)",
                       re.IGNORECASE)


def patch_of(message: Message, subject: Subject, index: int, total: int, revision: int,
           followups: tuple[FollowUp, ...]) -> Patch:
    lines = _without_list_footers(message.body)
    start, in_body = _in_body_headers(lines, _after_review_banner(lines))
    notification = False
    if not in_body:
        start, notification = _notification(lines, start, in_body)

    diff_at = diff_start(lines, start)
    if diff_at == len(lines):
        lines = _strip_signature(lines)
        diff_at = len(lines)
    separator = next((k for k in range(start, diff_at) if _patch_break(lines[k].text)), None)
    if not in_body and diff_at < len(lines):
        # "Like this?" and a patch below '---' (or a scissors line) with its own From:/Subject:
        # lines: the reply carries that patch, as `git am --scissors` would take it
        inner = next(((k, found) for k in range(start, diff_at)
                      if _patch_break(lines[k].text) or _SCISSORS.fullmatch(lines[k].text)
                      if (found := _in_body_headers(lines, k + 1))[1]), None)
        if inner is not None:
            start, in_body = inner[1]
            separator = next((k for k in range(start, diff_at) if _patch_break(lines[k].text)),
                             None)
    text_end = diff_at if separator is None else separator
    # base-commit lines are no trailers, but a cover letter has them in its text
    message_lines, trailers, notes = _trailer_block(
        [line for line in lines[start:text_end] if not _BASE_INFO.match(line.text)])
    below = tuple(_trim(lines[separator + 1:diff_at])) if separator is not None else ()

    files, diff_notes = parse_diff(lines[diff_at:])
    # no diff line starts with "base-commit:", so it is found wherever git put it
    base = next((found.group(1) for line in lines
                 if (found := _BASE_COMMIT.fullmatch(line.text))), None)

    sender, relayed, shown = transport_sender(message)
    author = person_of(in_body["From"].text) if "From" in in_body else None
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
        resend=subject.resend, rfc=subject.rfc, relayed=relayed or notification,
        aliases=shown, stable=_stable_queue(message, subject, lines[start:text_end]),
        form=message.form)


def transport_sender(message: Message) -> tuple[Person, bool, tuple[Person, ...]]:
    """Who sent the mail behind a list or relay that rewrote its From:, whether the address is
    only the relay's (the person is known by name alone), and every address the header fields
    show for them. Google Groups and other hosts that rewrite From: for DMARC write
    `"'Jane Doe' via some-list" <some-list@...>` and keep the sender in X-Original-From: or
    Reply-To:; B4 Relay writes `Jane Doe via B4 Relay <devnull+...>` and X-Original-From:."""
    raw = message.sender or Person("", "")
    original = person_of(message.field("x-original-from") or "")
    reply_to = person_of(message.field("reply-to") or "")
    shown = tuple(p for p in (raw, original, reply_to) if p is not None)
    if original is not None:
        return original, False, shown
    found = _SENT_FOR.fullmatch(raw.name)
    if not found:
        return raw, False, shown
    name = (found.group("via") or found.group("bot")).strip().strip("'\"").strip()
    if reply_to is not None and same_name(reply_to.name, name):
        return reply_to, False, shown
    return Person(name, raw.email), True, shown


def same_name(one: str, other: str) -> bool:
    """Whether two display names name one person: case, accents, a parenthesised employer
    (`Jane Doe (Intel)`) and the order of a `Doe, Jane` aside, and when all words of one are
    words of the other (`Chengyu` sending, `Chengyu Zhu` signing; `Yahu Gao`, `Yahu YH12 Gao`),
    or when one is a handle made of the other's words (`ChengyuZhu6` for `Chengyu Zhu`)."""
    words, others = set(plain_name(one).split()), set(plain_name(other).split())
    if not (words and others):
        return False
    return words <= others or others <= words or _handle_of(one, other) or _handle_of(other, one)


def _handle_of(handle: str, name: str) -> bool:
    """Whether a one-word name is the words of a name of two or more run together, in either
    order, whatever its case and the digits after it (`ZhuChengyu`, `chengyuzhu6`)."""
    letters, words = plain_name(handle), plain_name(name).split()
    if " " in letters or len(words) < 2:
        return False
    letters = letters.rstrip("0123456789")
    return letters in ("".join(words), "".join(reversed(words)))


def plain_name(name: str) -> str:
    """A display name reduced to its words, sorted: `Doe, Jos\u00e9 (Intel)` -> `doe jose`."""
    name = unicodedata.normalize("NFKD", re.sub(r"\([^()]*\)", " ", name))
    words = re.findall(r"\w+", "".join(c for c in name if not unicodedata.combining(c)))
    return " ".join(sorted(words)).casefold()


def _stable_queue(message: Message, subject: Subject, text: list[Line]) -> bool:
    """Whether the mail posts a patch of a stable queue for review (the stable scripts' marks,
    AUTOSEL, or an upstream commit named at the top of the message): it carries the sign-offs
    of the upstream commit and of whoever queued it, and the sender need not be the last."""
    if message.field("x-stable") or message.field("x-stable-base") or _after_review_banner(
            list(message.body)):
        return True
    if any(p.upper() == "AUTOSEL" for prefix in subject.prefixes for p in prefix.split()):
        return True
    return any(_UPSTREAM.fullmatch(line.text) for line in text[:12])


def _after_review_banner(lines: list[Line]) -> int:
    """Where a stable queue's review posting starts its patch: after the "6.12-stable review
    patch. ..." paragraph and the line of dashes under it (the author's From: follows there,
    which git mailinfo would not see); 0 for any other mail."""
    first = _skip_blank(lines, 0)
    if first == len(lines) or not _REVIEW_BANNER.match(lines[first].text):
        return 0
    rule = next((k for k in range(first + 1, min(first + 6, len(lines)))
                 if re.fullmatch(r"-{8,}\s*", lines[k].text)), None)
    return 0 if rule is None else rule + 1


def _in_body_headers(lines: list[Line], k: int) -> tuple[int, dict[str, Line]]:
    """The From:/Subject:/Date: lines a body starts with, as `git mailinfo` reads them (blank
    lines before them skipped, a field folded onto indented lines, each field once), and where
    the message starts after them and the blank line that ends them."""
    begin = _skip_blank(lines, k)
    k, found = begin, {}
    while k < len(lines):
        header = _IN_BODY.fullmatch(lines[k].text)
        if header is None or header.group(1).capitalize() in found:
            break
        value, at = header.group(2).strip(), lines[k].at
        k += 1
        while k < len(lines) and lines[k].text[:1] in (" ", "\t") and lines[k].text.strip():
            value = f"{value} {lines[k].text.strip()}"
            k += 1
        found[header.group(1).capitalize()] = Line(value, at)
    if not found:
        return begin, found
    if k < len(lines) and not lines[k].text.strip():
        k += 1
    return k, found


def _patch_break(text: str) -> bool:
    """Where `git mailinfo` ends the commit message: '---' and blanks only (the separator
    `git format-patch` writes), or '--- ' and a name."""
    if not text.startswith("---"):
        return False
    return not text[3:].strip(" \t\r\v\f") or (text[3:4] == " " and not text[4].isspace())


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


def _skip_blank(lines: list[Line], k: int) -> int:
    while k < len(lines) and not lines[k].text.strip():
        k += 1
    return k


def _trailer_block(lines: list[Line]
                   ) -> tuple[tuple[Line, ...], tuple[Trailer, ...], tuple[Line, ...]]:
    """Split a commit message from its trailer block as `git interpret-trailers` finds it
    (trailer.c): the last paragraph, when all its lines are trailers, or when one of them is a
    trailer git writes itself (Signed-off-by:) and at least a quarter are trailers. Indented lines
    continue the trailer above them; other lines of the block (`[name: did this]` notes, a stray
    `--`) are kept as notes. Comment lines ('#') and blank lines at the end are no part of it."""
    text = _trim(lines[_skip_blank(lines, 0):])
    end = len(text)
    while end and (text[end - 1].text.startswith("#") or _blank(text[end - 1].text)):
        end -= 1
    begin = _trailer_start([line.text for line in text[:end]])
    # Text right above the first trailer, in its paragraph ("...the last sentence.\nSigned-off-by:
    # ..."), is in git's block but says what the commit does: it stays in the message.
    while begin < end and not _TRAILER.fullmatch(text[begin].text.rstrip()) \
            and not text[begin].text.startswith(("[", "#")):
        begin += 1
    if not any(_cited(line.text) for line in text[begin:end]):
        # git takes a lone "v2: reworded" or "Note: ..." paragraph for trailers too; without one
        # trailer of the kind people sign or cite with, it is read as the prose it is
        return tuple(text), (), ()
    trailers: list[Trailer] = []
    notes: list[Line] = []
    last_is_trailer = False
    for line in text[begin:end]:
        if line.text.startswith("#"):
            notes.append(line)
        elif last_is_trailer and _indented(line.text):
            last = trailers[-1]
            value = f"{last.value} {line.text.strip()}".strip()
            trailers[-1] = Trailer(last.name, value, last.at, person_of(value))
        elif found := _TRAILER.fullmatch(line.text.rstrip()):
            value = found.group(2).strip()
            trailers.append(Trailer(found.group(1), value, line.at, person_of(value)))
            last_is_trailer = True
            continue
        else:
            notes.append(line)
        last_is_trailer = last_is_trailer and _indented(line.text)
    notes.extend(text[end:])
    return tuple(_trim(text[:begin])), tuple(trailers), tuple(notes)


def _trailer_start(texts: list[str]) -> int:
    """Where the trailer block of a message starts (len(texts) when it has none), by git's
    rules; the message's title, and the blank line after it, stand just before `texts`."""
    only_blank = True
    recognised = False
    trailer_lines = other_lines = continuations = 0
    for k in range(len(texts), -1, -1):
        text = texts[k - 1] if k else ""
        if text.startswith("#"):
            other_lines += continuations
            continuations = 0
            continue
        if _blank(text):
            if only_blank:
                continue
            other_lines += continuations
            if (recognised and trailer_lines * 3 >= other_lines) or (
                    trailer_lines and not other_lines):
                return k
            return len(texts)
        only_blank = False
        if text.startswith(_GIT_TRAILERS):
            trailer_lines += 1
            continuations = 0
            recognised = True
        elif _TRAILER.fullmatch(text.rstrip()):
            trailer_lines += 1
            continuations = 0
        elif _indented(text):
            continuations += 1
        else:
            other_lines += 1 + continuations
            continuations = 0
    return len(texts)


def _cited(text: str) -> bool:
    """Whether a line is a trailer of the kind people sign or cite with."""
    found = _TRAILER.fullmatch(text.rstrip())
    name = found.group(1).lower() if found else ""
    return name.endswith("-by") or name in _TRAILER_WORDS


def _blank(text: str) -> bool:
    return not text.strip(_ASCII_SPACE)


def _indented(text: str) -> bool:
    return text[:1] != "" and text[0] in _ASCII_SPACE


def person_of(value: str) -> Person | None:
    """The address in a trailer or From: value, if it holds one."""
    # "stable@vger.kernel.org # 5.2+": the comment after '#' is no part of the address
    # "Name <a@b<mailto:a@b>>": what some mailers make of a pasted address
    address = re.sub(r"<mailto:[^<>]*>", "", value.split("#")[0])
    if not _ADDRESS.fullmatch(address):
        return None
    try:
        found = AddressList(address).addresslist     # email.utils.parseaddr, without loading
    except RecursionError:      # the email package recurses once per nested "(": no address
        return None             # the rest of the package (a tenth of a one-patch check)
    return Person(*found[0]) if found and found[0][1] else None


def _without_list_footers(body: tuple[Line, ...]) -> list[Line]:
    """The body without the footers a list puts in every mail it carries (in the text part of a
    mail whose patch is attached, the footer stands between the author's words and the patch):
    each runs from its opening line to the next blank line."""
    kept, k = [], 0
    while k < len(body):
        if (body[k].text in _SIGNATURES or body[k].text.startswith(_RULE)) and \
                k + 1 < len(body) and _FOOTER.match(body[k + 1].text):
            k += 1
            while k < len(body) and body[k].text.strip():
                k += 1
            continue
        kept.append(body[k])
        k += 1
    return kept


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
    lines = _strip_signature(_without_list_footers(message.body))
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
                                    person_of(found.group(2))))
        else:
            text.append(line)
    flush()
    return FollowUp(msgid=message.msgid, author=transport_sender(message)[0],
                    subject=message.subject or "", at=message.at, comments=tuple(comments),
                    trailers=tuple(trailers))


def _trim(lines: list[Line]) -> list[Line]:
    begin, end = 0, len(lines)
    while begin < end and not lines[begin].text.strip():
        begin += 1
    while end > begin and not lines[end - 1].text.strip():
        end -= 1
    return lines[begin:end]
