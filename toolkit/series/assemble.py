"""Mails grouped into a series: threads, revisions, the cover letter, numbering, and follow-ups."""

from __future__ import annotations

import collections
from collections.abc import Iterable

from toolkit.errors import InputError, UsageError
from toolkit.mail import read_messages
from toolkit.mail.message import Message
from toolkit.series.diff import diff_start
from toolkit.series.model import Patch, Series
from toolkit.series.patch import followup_of, patch_of
from toolkit.series.subject import Subject, parse_subject


def read_series(path: str, revision: int | None = None) -> Series:
    """Read the mail at `path` (see toolkit.mail) and assemble the chosen revision of its series:
    the newest unless `revision` names another. Raises InputError when no mail holds a patch and
    UsageError for a revision the mail does not have."""
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
        replies = tuple(followup_of(mails[j][0]) for j in followups.get(i, ()))
        return patch_of(message, subject, index_of[i], total, chosen, replies)

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
        unmatched_followups=tuple(followup_of(mails[j][0]) for j in unmatched))


def _is_patch(message: Message, subject: Subject) -> bool:
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
