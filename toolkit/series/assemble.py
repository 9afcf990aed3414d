"""Mails grouped into series: threads, revisions, cover letters, numbering, and the replies to each patch.

An mbox from a list archive holds many series. They are told apart the way b4 and patchwork do:
by thread first; mails that are not threaded together belong to one posting by the keys of
`toolkit.series.grouping`; postings are revisions of one series when they share a thread or when
the same sender gave them the same titles. Of a mail sent again without a new version tag the
newest copy is checked and the older ones are listed apart. Replies go to the patch they answer.
What is no patch (a reply to a patch that is not in the file, a pull request, a notification or
a robot's report without a diff) is counted and left out.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from toolkit.errors import InputError, UsageError
from toolkit.mail import read_messages
from toolkit.mail.message import Message
from toolkit.series.diff import diff_start
from toolkit.series.grouping import Mark, changes, moved_title, one_run, title
from toolkit.series.model import MAX_TOTAL, Patch, Series
from toolkit.series.patch import followup_of, patch_of, transport_sender
from toolkit.series.subject import Subject, parse_subject

# "[GIT PULL] x86/urgent for 6.9": a pull request, which may carry a diff but is no patch; nor is
# "[CI-NOTIFY]: ... Bisect ...", a CI's notice quoting the commit it blames.
_NO_PATCH_TAG = re.compile(r"\bGIT\s+PULL\b|\bCI-NOTIFY\b", re.IGNORECASE)
# 'FAILED: patch "[PATCH] x86/mce: ..." failed to apply', 'Patch "x86/mce: ..." has been added to
# the 6.1-stable tree': a notice about a patch, quoting its subject, with the patch attached.
_ABOUT_A_PATCH = re.compile(r'"\[PATCH\b|\bpatch\s+"', re.IGNORECASE)
# "Signed-off-by:" or the "---" line: a mail tagged otherwise than [PATCH] ("[RFC]", "[tip: ...]")
# is a patch only with one of them (a commit notification), not a bug report with a test diff.
_COMMIT_MARK = re.compile(r"(?i)signed-off-by:|---\s*$")
# The tag words that make a k/N count a patch's ("[RFC 2/3]", "[PATCH v2 2/3]").
_PATCH_WORDS = frozenset({"PATCH", "RFC"})
# What decoding notes when it could not read some of a mail's text.
_LOSSES = frozenset({"encoding", "truncated", "skipped"})
# Unthreaded mails of one posting are sent together; ones further apart are separate postings.
_POSTING_WINDOW = timedelta(hours=12)
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Archive:
    """Every series an mbox holds (each at its chosen revision, in the order the file first
    has them), and what was read but left out."""

    source: str
    series: tuple[Series, ...]
    mails_read: int
    #: mails that are no patch and answer none in the file (replies, pull requests, notices),
    #: and second copies of a mail (the same message id); the first series reports the former
    #: and what decoding noted on them
    skipped: int

    @property
    def patches(self) -> int:
        return sum(len(s.patches) for s in self.series)


def read_series(path: str, revision: int | None = None) -> Series:
    """The first series of the mail at `path` (see toolkit.mail), at the newest revision unless
    `revision` names another."""
    return assemble(read_messages(path), path, revision)


def assemble(messages: Iterable[Message], source: str, revision: int | None = None) -> Series:
    """The first series of `messages`; InputError when the mail holds no patch."""
    archive = group(messages, source, revision)
    if not archive.series:
        raise InputError("no patch in this mail", path=source,
                         why=f"{archive.mails_read} message(s) read, none with [PATCH] or a diff")
    return archive.series[0]


def group(messages: Iterable[Message], source: str, revision: int | None = None,
          pick: str | None = None) -> Archive:
    """Every series of `messages` at its newest revision, or at `revision` (every series that
    has it); with `pick`, the message id of any mail of one series, only that series."""
    mails, seen, copies = [], set(), 0
    for m in messages:
        # the same mail twice (cross-posted to two lists, saved twice) is one mail, as for b4
        if m.msgid and m.msgid in seen:
            copies += 1
            continue
        seen.add(m.msgid)
        mails.append((m, parse_subject(m.subject)))
    marks = [Mark.of(m.msgid, m.in_reply_to, m.references, _sender(m), m.subject, m.date,
                     m.stamp, m.patch_id) for m, _ in mails]
    by_id = {m.msgid: i for i, (m, _) in enumerate(mails) if m.msgid}
    parents = [_parent(m, by_id) for m, _ in mails]
    # an untagged commit in a thread ("[tip: x86/asm] ..." answering the patch it applied) is
    # a notice about that patch, not another patch of its series
    patch_mails = [i for i, (m, s) in enumerate(mails)
                   if _is_patch(m, s, _kept_subject(i, mails, parents))
                   and (s.is_patch or parents[i] is None)]
    revision_of = _revisions(mails, parents, patch_mails)
    members, posting_of = _series_members(mails, marks, parents, patch_mails, revision_of)
    alone = {v[0] for v in members if len(v) == 1 and _bare_diff(*mails[v[0]])}
    if alone:
        members = [v for v in members if v[0] not in alone or len(v) > 1]
        patch_mails = [i for i in patch_mails if i not in alone]
    if pick is not None:
        members = _picked(members, mails, parents, pick, source)
    chosen = [_chosen_revision(indices, revision_of, revision, source, len(members) > 1)
              for indices in members]
    covers = [_naked_cover(mails, parents, [i for i in indices if revision_of[i] == r], revision_of)
              if r is not None else None for indices, r in zip(members, chosen)]
    followups, unmatched = _followups(mails, parents,
                                      {*patch_mails, *(c for c in covers if c is not None)})
    built = [_series(mails, marks, indices, revision_of, posting_of, r, cover, followups, source)
             for indices, r, cover in zip(members, chosen, covers) if r is not None]
    if revision is not None and not built:
        raise UsageError(f"no revision {revision} in this mail", path=source)
    built = _with_leftovers(built, mails, unmatched)
    return Archive(source, tuple(built), len(mails) + copies, len(unmatched) + copies)


def _with_leftovers(built: list[Series], mails, unmatched: list[int]) -> list[Series]:
    """What belongs to no series still has to be said somewhere: the replies that answer no
    patch of the file and what decoding noted on them go with the first series."""
    if not built or not unmatched:
        return built
    first = built[0]
    notes = tuple(note for i in unmatched for note in mails[i][0].notes)
    return [replace(first, decode_notes=first.decode_notes + notes,
                    unmatched_followups=tuple(followup_of(mails[i][0]) for i in unmatched)),
            *built[1:]]


# --- which mails are patches, and of which revision -------------------------------------------------

def _kept_subject(i: int, mails, parents) -> bool:
    """Whether mail i answers a mail of the file under a subject that still reads as a patch's
    (a mailer that adds no "Re:"): then it is a patch only if it carries a diff, and a cover
    letter only of another revision than the thread's (a v2 posted in reply to v1)."""
    subject = mails[i][1]
    if parents[i] is None or not subject.is_patch:
        return False
    if subject.counter == 0:
        return mails[_root(i, parents)][1].revision == subject.revision
    return True


def _is_patch(message: Message, subject: Subject, kept_subject: bool = False) -> bool:
    if message.form != "mail":
        return True         # git's own text of a commit or a diff (toolkit.mail.commits)
    if subject.reply or subject.forward or _NO_PATCH_TAG.search(subject.raw or "") \
            or _ABOUT_A_PATCH.search(subject.raw or ""):
        return False
    if subject.is_patch and kept_subject:
        # a reply that kept "[PATCH v3 0/2] ...": no cover; "[PATCH 2/5] ...": a patch if a
        # diff comes with it, or its sign-off or '---' line (an empty commit)
        return subject.counter != 0 and _carries_commit(message)
    if subject.is_patch and subject.counter == 0:
        return True
    if subject.is_patch and _PATCH_WORDS & {w.upper() for w in subject.prefixes}:
        # with none of them and its text read, a "[PATCH]" mail, or a k/N one that answers
        # another, is about a patch: a reply that kept the subject of one whose thread the file
        # lacks, a request, an application that links to its work
        return (_carries_commit(message) or _not_all_read(message)
                or (subject.counter is not None and message.in_reply_to is None))
    diff_at = diff_start(message.body, 0)
    if subject.is_patch:
        # "[linux-next:master 268/8423] drivers/x: warning ...": a count in a tag with no
        # PATCH or RFC is a robot's report, unless a diff comes with it
        return diff_at < len(message.body)
    if diff_at == len(message.body):
        return False
    return not subject.prefixes or _marked(message, diff_at)


def _carries_commit(message: Message) -> bool:
    """Whether a mail carries a diff, or a sign-off or git's '---' line (an empty commit)."""
    return diff_start(message.body, 0) < len(message.body) or any(
        _COMMIT_MARK.match(line.text) for line in message.body)


def _not_all_read(message: Message) -> bool:
    """Whether decoding lost some of a mail's text (an HTML-only or undecodable part, a cut)."""
    return not message.body or any(note.kind in _LOSSES for note in message.notes)


def _marked(message: Message, diff_at: int) -> bool:
    """Whether a sign-off or git's '---' line stands before the diff at `diff_at`."""
    return any(_COMMIT_MARK.match(line.text) for line in message.body[:diff_at])


def _bare_diff(message: Message, subject: Subject) -> bool:
    """A mail without tags whose diff has no sign-off or '---' before it: a patch only as part
    of a posting (a mailer that dropped the tags of patch 1); alone, a bug report or a question
    that shows a diff."""
    if message.form != "mail" or subject.prefixes or subject.counter is not None:
        return False
    return not _marked(message, diff_start(message.body, 0))


def _revisions(mails, parents, patch_mails) -> dict[int, int]:
    """The revision of each patch mail: its own vN, else its thread root's ("[PATCH 2/3]"
    threaded under "[PATCH v2 0/3]" belongs to v2)."""
    revision_of = {}
    for i in patch_mails:
        subject, root = mails[i][1], mails[_root(i, parents)][1]
        given = subject if subject.revision_given or not root.revision_given else root
        revision_of[i] = given.revision
    return revision_of


# --- grouping patch mails into series ----------------------------------------------------------------

def _series_members(mails, marks, parents, patch_mails, revision_of
                    ) -> tuple[list[list[int]], dict[int, tuple]]:
    """The patch mails of each series, in file order, series in the order of their first mail;
    and the posting of each patch mail."""
    postings: dict[tuple, list[int]] = collections.defaultdict(list)
    open_postings: dict[tuple, list[tuple]] = collections.defaultdict(list)
    roots = [_root(i, parents) for i in patch_mails]
    patches_in_thread = collections.Counter(roots)
    previous = None
    for i, root in zip(patch_mails, roots):
        if root != i and mails[i][1].counter is None:
            # a patch without k/N inside another posting's thread ("[PATCH] something like
            # this?" in a review) is a posting of its own
            key = ("reply", i, revision_of[i])
        # a patch alone in its thread (the others sent unthreaded) is grouped by its numbering
        elif root != i or patches_in_thread[root] > 1 or mails[i][1].expected in (None, 1):
            # in one thread, another sender's patches (a maintainer re-posting the rest of a
            # series, rebased) are a posting of their own
            key = ("thread", root, revision_of[i], marks[i].sender)
        else:
            key = _unthreaded_posting(mails, marks, i, previous, revision_of[i], postings,
                                      open_postings)
        postings[key].append(i)
        previous = i
    _join_untagged(mails, marks, postings, revision_of)
    # postings -> series: the same thread root, or a mail of the same sender and title
    parent = {key: key for key in postings}

    def find(key: tuple) -> tuple:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    owner: dict[tuple, tuple] = {}
    for key, indices in postings.items():
        names = [("root", key[1])] if key[0] == "thread" else []
        names += [title(marks[i]) for i in indices]
        for name in names:
            parent[find(key)] = find(owner.setdefault(name, key))
    _tie_revisions(marks, postings, revision_of, find, parent)
    series: dict[tuple, list[int]] = collections.defaultdict(list)
    for key, indices in postings.items():
        series[find(key)].extend(indices)
    posting_of = {i: key for key, indices in postings.items() for i in indices}
    return sorted((sorted(v) for v in series.values()), key=lambda v: v[0]), posting_of


def _tie_revisions(marks, postings, revision_of, find, parent) -> None:
    """Tie postings of different revisions that hold the same change (its patch id) or the same
    title at another place (a patch moved when one was added before it), when the later
    revision came later and holds at least half the patches of the earlier one (a patch split
    out of a long series to go on alone leaves the series). A key that two postings of one
    revision share ties nothing (two series that carry one patch, two patches of one title),
    and no tie puts two postings of one revision into a series (two patches of a v2 each went on
    alone as a v3)."""
    holders: dict[tuple, dict[int, dict[tuple, int]]] = collections.defaultdict(
        lambda: collections.defaultdict(dict))
    for key, indices in postings.items():
        for i in indices:
            for name in (moved_title(marks[i]), changes(marks[i])):
                if name is not None and marks[i].subject.counter != 0:
                    holders[name][revision_of[i]][key] = i
    shared: dict[tuple, set[int]] = collections.defaultdict(set)    # the earlier's patches
    for by_revision in holders.values():
        if len(by_revision) < 2 or any(len(held) > 1 for held in by_revision.values()):
            continue
        ordered = [next(iter(by_revision[r].items())) for r in sorted(by_revision)]
        for (earlier, patch), (later, _) in zip(ordered, ordered[1:]):
            shared[earlier, later].add(patch)
    revisions = collections.defaultdict(set)
    for key, indices in postings.items():
        revisions[find(key)].add(revision_of[indices[0]])
    for (earlier, later), common in sorted(shared.items(), key=lambda item: (
            postings[item[0][0]][0], postings[item[0][1]][0])):
        patches = sum(1 for i in postings[earlier] if marks[i].subject.counter != 0)
        first, second = find(earlier), find(later)
        if (len(common) * 2 < patches or first == second or revisions[first] & revisions[second]
                or not _in_order(marks, postings[earlier], postings[later])):
            continue
        _debug("postings %s and %s are revisions of one series: %d patches in common",
               earlier, later, len(common))
        parent[second] = first
        revisions[first] |= revisions.pop(second)


def _in_order(marks, earlier: list[int], later: list[int]) -> bool:
    """Whether the posting of the later revision was not sent before the earlier one."""
    dates = [min((d for i in indices if (d := marks[i].date) is not None), default=None)
             for indices in (earlier, later)]
    return None in dates or dates[1] >= dates[0]


def _join_untagged(mails, marks, postings: dict[tuple, list[int]], revision_of) -> None:
    """A lone mail without a counter joins a k/N posting of its sender that lacks patch 1 and
    was sent within the window: a mailer that dropped the tag of the first patch."""
    lone = [key for key, indices in postings.items()
            if len(indices) == 1 and mails[indices[0]][1].counter is None]
    # the postings of each sender and revision, looked up once rather than scanned for each lone
    # mail (a window of an archive holds thousands of postings); joining a lone mail keeps both
    family: dict[tuple, list[tuple]] = collections.defaultdict(list)
    for key, indices in postings.items():
        family[(marks[indices[0]].sender, revision_of[indices[0]])].append(key)
    for key in lone:
        i = postings[key][0]
        for other in family[(marks[i].sender, revision_of[i])]:
            indices = postings[other]
            if other == key or not indices or mails[indices[0]][1].expected in (None, 1):
                continue
            if (1 not in {mails[j][1].counter for j in indices}
                    and _near(marks[i].date, [marks[j].date for j in indices])):
                indices.append(i)
                indices.sort()
                postings[key] = []
                break
    for key in [key for key, indices in postings.items() if not indices]:
        del postings[key]


def _near(when: datetime | None, dates: list[datetime | None]) -> bool:
    known = [d for d in dates if d is not None]
    return when is None or not known or min(abs(when - d) for d in known) <= _POSTING_WINDOW


def _unthreaded_posting(mails, marks, i, previous, revision, postings, open_postings) -> tuple:
    """The posting an unthreaded k/N mail joins: one of the same N and revision, without a
    mail k yet, that `grouping.one_run` says it was sent with (by the same sender, within the
    window); else a new one. `previous` is the patch mail before it in the file."""
    subject = mails[i][1]
    family = (subject.expected, revision)
    for key in reversed(open_postings[family]):
        held = postings[key]
        if subject.counter in {mails[j][1].counter for j in held}:
            continue
        for j in reversed(held):
            why = one_run(marks[j], marks[i], adjacent=j == previous)
            if why == "the same sender" and not _near(marks[i].date, [marks[j].date]):
                why = None
            if why:
                _debug("mail %s joins the posting of mail %s: %s", marks[i].msgid or i,
                           marks[held[0]].msgid or held[0], why)
                return key
    key = ("posting", i, revision)
    open_postings[family].append(key)
    return key


def _picked(members, mails, parents, pick: str, source: str) -> list[list[int]]:
    """The one series that holds the message `pick` (a patch, or a reply to one)."""
    wanted = pick.strip().strip("<>")
    for indices in members:
        held = set(indices)
        for i, (m, _) in enumerate(mails):
            if m.msgid == wanted and (i in held or _root(i, parents) in
                                      {_root(j, parents) for j in held}):
                return [indices]
    raise UsageError(f"no series with message <{wanted}> in this mail", path=source)


def _chosen_revision(indices, revision_of, revision, source, many) -> int | None:
    revisions = sorted({revision_of[i] for i in indices})
    if revision is None:
        return revisions[-1]
    if revision in revisions:
        return revision
    if many:
        return None                 # another series of the file may have it
    raise UsageError(f"no revision {revision} in this mail", path=source,
                     why="revisions found: " + ", ".join(f"v{r}" for r in revisions))


# --- one series at its chosen revision ----------------------------------------------------------------

def _series(mails, marks, indices, revision_of, posting_of, chosen, naked, followups,
            source) -> Series:
    revisions = tuple(sorted({revision_of[i] for i in indices}))
    members = [i for i in indices if revision_of[i] == chosen]
    covers = [i for i in members if mails[i][1].counter == 0]
    if not covers and naked is not None:
        covers = [naked]
        members = sorted([*members, naked])
    index_of = {i: 1 if mails[i][1].counter is None else mails[i][1].counter for i in members}
    index_of.update((i, 0) for i in covers)
    # A mail sent again (a posting re-sent without a new version tag, a patch re-sent in its
    # thread, a commit notice sent again) is a newer copy: the newest is checked, and what the
    # older postings say of the numbering no longer counts. Two different patches claiming one
    # number in one posting are a fault of that posting.
    newest = _posting_order(marks, members, posting_of)
    placed: dict[int, int] = {}
    older, duplicates = [], []
    # the later copy by its date (a mailer re-sending one patch in the old thread), then by
    # its posting's, then by its place in the file
    for i in sorted(members, key=lambda i: (marks[i].date or _EARLIEST,
                                            newest[posting_of.get(i)], i)):
        index = index_of[i]
        if index in placed:
            if posting_of.get(placed[index]) == posting_of.get(i) and \
                    mails[placed[index]][1].text.lower() != mails[i][1].text.lower():
                duplicates.append(i)
                continue
            older.append(placed[index])
        placed[index] = i
    kept = sorted({*placed.values(), *duplicates})
    # N is the newest posting's (the one whose patches are checked); an older posting's mail of
    # another N, or beyond it, is an older copy, not an add-on or a disagreement
    last = max((newest[posting_of.get(i)] for k, i in placed.items() if k), default=0)
    latest = [i for i in kept if newest[posting_of.get(i)] == last]
    totals = [mails[i][1].expected for i in latest if mails[i][1].expected is not None] or \
        [mails[i][1].expected for i in kept if mails[i][1].expected is not None]
    total = _total(mails, [i for i in covers if i in latest], totals)
    older += [i for k, i in placed.items() if newest[posting_of.get(i)] < last and
              (k > total or mails[i][1].expected not in (None, total))]
    extra = [i for k, i in placed.items() if k > total and i not in older]
    totals = [mails[i][1].expected for i in kept
              if i not in older and mails[i][1].expected is not None]

    def build(i: int, own_count: bool = False) -> Patch:
        """The patch of mail i, numbered k/N of the series (or of its own posting, for an
        older copy)."""
        message, subject = mails[i]
        replies = tuple(followup_of(mails[j][0]) for j in followups.get(i, ()))
        count = subject.expected or total if own_count else total
        return patch_of(message, subject, index_of[i], count, chosen, replies)

    cover = build(placed[0]) if 0 in placed and placed[0] not in older else None
    patches = {k: build(i) for k, i in placed.items() if 0 < k <= total and i not in older}
    return Series(
        source=source, revision=chosen, total=total, cover=cover,
        patches=tuple(patches[k] for k in sorted(patches)), revisions=revisions,
        missing=tuple(k for k in range(1, min(total, MAX_TOTAL) + 1) if k not in patches),
        duplicates=tuple(map(build, duplicates)), extra=tuple(map(build, sorted(extra))),
        superseded=tuple(build(i, own_count=True) for i in sorted(older)),
        totals_seen=tuple(sorted(set(totals))) if len(set(totals)) > 1 else (),
        messages_read=len(mails),
        decode_notes=tuple(note for i in sorted(_held(indices, members, followups))
                           if i not in members for note in mails[i][0].notes))


def _posting_order(marks, members, posting_of) -> dict:
    """Each posting of `members`, numbered from the oldest (by the date of its first mail,
    then by its place in the file) to the newest."""
    first: dict = {}
    for i in members:
        first.setdefault(posting_of.get(i), i)
    ordered = sorted(first, key=lambda key: (marks[first[key]].date or _EARLIEST, first[key]))
    return {key: rank for rank, key in enumerate(ordered)}


def _held(indices, members, followups) -> set[int]:
    """The mails of a series: its patch mails of every revision, and the replies to them."""
    return {*indices, *members, *(j for i in indices for j in followups.get(i, ()))}


def _naked_cover(mails, parents, members, revision_of) -> int | None:
    """A mail without tags that the patches answer is their cover letter (b4 calls it naked);
    None when the patches have a tagged cover, or answer no such mail."""
    if any(mails[i][1].counter == 0 for i in members):
        return None
    naked = sorted(j for j in {parents[i] for i in members} - {None}
                   if not (mails[j][1].reply or mails[j][1].forward or j in revision_of))
    return naked[0] if naked else None


def _total(mails, covers, totals) -> int:
    if covers and mails[covers[0]][1].expected is not None:
        return mails[covers[0]][1].expected
    if totals:
        return collections.Counter(totals).most_common(1)[0][0]
    return 1


def _followups(mails, parents, patch_set) -> tuple[dict[int, list[int]], list[int]]:
    """Replies by the patch they answer (by thread, else by the subject they repeat), and the
    mails that are no patch and answer none."""
    by_subject: dict[tuple, int] = {}
    for i in sorted(patch_set, reverse=True):
        subject = mails[i][1]
        by_subject[(subject.text, subject.counter if subject.counter is not None else 1)] = i
    followups: dict[int, list[int]] = collections.defaultdict(list)
    unmatched = []
    for i, (_, subject) in enumerate(mails):
        if i in patch_set:
            continue
        target = _answered(i, parents, patch_set)
        if target is None and subject.reply:
            target = by_subject.get((subject.text,
                                     subject.counter if subject.counter is not None else 1))
        if target is None:
            unmatched.append(i)
        else:
            followups[target].append(i)
    return followups, unmatched


# --- threads -----------------------------------------------------------------------------------------

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


def _sender(message: Message) -> str:
    """Who sent the mail, as grouping compares senders: behind a list that rewrote From: (all
    its mails then carry the list's address) the person it names."""
    person, relay_only, _ = transport_sender(message)
    return f"{person.name.lower()} via {person.email.lower()}" if relay_only \
        else person.email.lower()


def _debug(message: str, *args) -> None:
    """A grouping decision, logged at debug level ("mail X joins the posting of Y: why")."""
    import logging  # most runs log nothing: loaded when they do

    logging.getLogger(__name__).debug(message, *args)
