"""What ties mails into postings and series, named once for the series reader and archive mode.

A posting is what one `git send-email` or `b4 send` run put out: a cover letter and patches k/N
of one revision. Threaded mails are tied by their message ids. Mails without threading headers
(`git format-patch` output, `b4 am`'s .mbx, mails a list archive lost the headers of) are one
posting when they carry one k/N count and revision and show a trace of having been made
together: the same sender, a Message-ID stem (what git send-email, git format-patch --thread
and b4 give every mail of one run), or, one after another in the file, the From_ line `git
format-patch` or `b4 am` writes. The sender is not needed, since a tool's output carries each
patch's author as the sender; dates seconds apart are no trace (two people's postings
interleave so on a busy list). Postings are revisions of one series when they share a thread or
one sender gave them the same title, in the same branch tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email._parseaddr import _parsedate_tz

from toolkit.series.subject import Subject, parse_subject

# "6.1", "5.15.y", "6.6.12": a stable branch a backport is posted for.
_STABLE_BRANCH = re.compile(r"\d+\.\d+(?:\.\d+|\.y)?", re.IGNORECASE)
# Message ids of one run, with the mail's number or commit taken out:
# "<3d59...4af7.1796687574.git.sam@example.org>", "<cover.1796687574.git.sam@example.org>"
_FORMAT_PATCH_ID = re.compile(r"(?:[0-9a-f]{40}|cover)\.(\d+\.git\..+)")
# "<20190507174226.12345-2-sam@example.org>" (git send-email: time.pid-counter-address)
_SEND_EMAIL_ID = re.compile(r"(\d{14}\.\d+)-\d+-(.+)")
# "<20240603-int3-gap-v2-3-a1b2c3d4e5f6@kernel.org>" (b4 send: date-slug-vR-counter-hash)
_B4_ID = re.compile(r"(\d{8}-.+-v\d+)-\d+-([0-9a-f]+@.+)")
# The From_ lines tools write for files that no mail system delivered: format-patch's fixed
# date, and b4 am's "git@z" (public-inbox's "mboxrd@z" is on every mail of a list, so no trace);
# and the "commit <sha>" line of git log -p (toolkit.mail.commits).
_TOOL_STAMP = re.compile(r"From (\S+ Mon Sep 17 00:00:00 2001|git@z )|commit [0-9a-f]{40}")
#: Tag words that are no branch: the rest ("net-next", "6.1", "AUTOSEL") tell series apart.
_NOT_BRANCH = frozenset({"patch", "rfc", "resend"})


@dataclass(frozen=True, slots=True)
class Mark:
    """What grouping reads of one mail: its ids, sender, subject and date, the stem of its
    message id and whether a tool's From_ line filed it (both worked out once: grouping compares
    each mail with many)."""

    msgid: str | None
    answers: tuple[str, ...]
    sender: str
    subject: Subject
    date: datetime | None
    #: the part of the message id every mail of one sending run shares; None when the id is
    #: none of the forms tools give
    stem: str | None
    #: filed under the From_ line of `git format-patch`, `b4 am` or `git log`
    tool_made: bool
    #: `git patch-id --stable` of its diff (toolkit.mail.patchid), None without one
    patch_id: str | None = None

    @classmethod
    def of(cls, msgid: str | None, in_reply_to: str | None, references: tuple[str, ...],
           sender: str, subject: str | None, date: str | None, stamp: str | None,
           patch_id: str | None = None) -> Mark:
        answers = tuple(m for m in (in_reply_to, *reversed(references)) if m and m != msgid)
        return cls(msgid, answers, sender.lower(), parse_subject(subject), parse_date(date),
                   _stem(msgid), bool(stamp and _TOOL_STAMP.match(stamp)), patch_id)

    @property
    def unthreaded_count(self) -> tuple[int, int] | None:
        """(N, revision) of a k/N mail of a posting of more than one mail, else None."""
        s = self.subject
        if s.reply or s.counter is None or s.expected in (None, 1):
            return None
        return s.expected, s.revision


def _stem(msgid: str | None) -> str | None:
    for form in (_FORMAT_PATCH_ID, _SEND_EMAIL_ID, _B4_ID):
        if msgid and (found := form.fullmatch(msgid)):
            return "|".join(found.groups())
    return None


def parse_date(date: str | None) -> datetime | None:
    """The time of a Date: field that names its zone, as email.utils.parsedate_to_datetime reads
    it (without loading the rest of the email package)."""
    try:
        parsed = _parsedate_tz(date) if date else None
        if parsed is None or parsed[9] is None:
            return None
        return datetime(*parsed[:6], tzinfo=timezone(timedelta(seconds=parsed[9])))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def one_run(earlier: Mark, later: Mark, adjacent: bool) -> str | None:
    """Why two unthreaded k/N mails of one count and revision were sent in one run, or None
    when nothing says they were. `adjacent`: no other patch mail stands between them."""
    if earlier.unthreaded_count != later.unthreaded_count or later.unthreaded_count is None:
        return None
    if earlier.sender and earlier.sender == later.sender:
        return "the same sender"
    if earlier.stem is not None and earlier.stem == later.stem:
        return "one Message-ID stem"
    if not adjacent:
        return None
    if earlier.tool_made and later.tool_made:
        return "one after another in a tool's output"
    if later.tool_made and earlier.subject.counter == 0:
        # b4 am writes the cover letter apart (.cover, no From_ line) from the patches (.mbx)
        return "a cover letter followed by a tool's output"
    # Dates seconds apart say nothing: on a busy list two people's postings interleave so.
    return None


def title(mark: Mark) -> tuple:
    """The key a posting shares with its other revisions when no thread ties them: who sent
    it, its branch tag, its title and its place in the series."""
    return (*moved_title(mark), mark.subject.counter or 0)


def moved_title(mark: Mark) -> tuple:
    """The title key without the place in the series: a patch that moved between revisions
    ("[PATCH 2/3] x" in v1, "[PATCH v2 3/4] x") keeps it."""
    branch = tuple(p.lower() for p in mark.subject.prefixes if p.lower() not in _NOT_BRANCH)
    return ("title", mark.sender, branch, mark.subject.text.lower())


def changes(mark: Mark) -> tuple | None:
    """The key of the change a patch mail makes: who sent it, the stable branch it is for
    ("[PATCH 5.15.y]": one backport to two branches is two changes) and its patch id (the same
    diff, posted again in a later revision, at any place in it)."""
    if not mark.patch_id:
        return None
    base = tuple(p.lower() for p in mark.subject.prefixes if _STABLE_BRANCH.fullmatch(p))
    return ("change", mark.sender, base, mark.patch_id)


def archive_keys(mark: Mark, previous: Mark | None) -> list[tuple]:
    """What ties a mail to the others while an archive is read as a stream: its id and the ids
    it answers, the posting of an unthreaded k/N mail (with the mail before it, when
    `one_run` says they were sent together) and its title. These tie at least every pair of
    mails that `toolkit.series.assemble` may put into one series; it separates the rest."""
    keys: list[tuple] = [("id", m) for m in (mark.msgid, *mark.answers) if m]
    count = mark.unthreaded_count
    if count is not None:
        keys.append(("posting", mark.sender, *count))
        if mark.stem is not None:
            keys.append(("stem", mark.stem, *count))
        if previous is not None and one_run(previous, mark, adjacent=True):
            keys.append(("posting", previous.sender, *count))
    subject = mark.subject
    untagged = subject.counter is None and (subject.is_patch or not subject.prefixes)
    if not subject.reply and (untagged or subject.counter == 2 and subject.revision == 1):
        # a mailer that dropped the tags of patch 1: assemble joins it to patch 2's posting
        keys.append(("untagged", mark.sender))
    if not subject.reply and subject.is_patch:
        keys.append(title(mark))
        # a revision with a patch moved or a title changed (assemble ties such revisions)
        keys.append(moved_title(mark))
    if not subject.reply and (change := changes(mark)) is not None:
        keys.append(change)
    return keys
