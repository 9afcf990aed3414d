"""Every series of a mail archive checked in worker processes, reported in archive order as each completes.

An archive is read once, as a stream of mails cut out but not decoded (decoding is most of
reading, and is done in the workers). Mails are tied together as they arrive, by their header
fields, with the keys `toolkit.series.grouping` names: by message id (a reply and what it
answers), by the unthreaded posting a k/N mail belongs to, and by sender and title (a revision). A group of tied mails that no mail has joined within
the last `window` mails, or whose first mail is more than two windows back, is closed: decoded,
grouped into its series (`toolkit.series.assemble.group`), checked in a worker, and forgotten by
the reader. So memory holds the open threads, not the archive; a reply or a revision that comes
more than a window after its thread is read as a thread of its own.
"""

from __future__ import annotations

import collections
import itertools
import signal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from toolkit import lazy
from toolkit.checks import catalogue
from toolkit.checks.spelling import Spelling
from toolkit.checks.trial import Trials
from toolkit.errors import UsageError
from toolkit.mail.mime import RawMail
from toolkit.report.report import Checked
from toolkit.series.assemble import group
from toolkit.series.grouping import Mark, archive_keys
from toolkit.series.model import Patch, Series

# The states of a series applied in a repository (--tree) load the header model: bound lazily.
int3path = lazy.module("toolkit.states.int3path")

#: Mails after which a thread nobody joined is taken as complete (two days of LKML, months of
#: a smaller list); a thread is cut after two windows in any case.
WINDOW = 2000
#: Groups read ahead per worker while the oldest is still being checked.
AHEAD = 32


@dataclass(frozen=True, slots=True)
class Settings:
    """What every worker needs to check a series the way the command line asked."""

    source: str
    rules: tuple[str, ...]
    #: --tree: its spelling list is used; with `repository`, the patches are applied in it
    tree: str | None = None
    repository: bool = False
    revision: int | None = None
    pick: str | None = None
    #: the bounds of building and running the patches' code (--build-limits, --budget) and the
    #: memo of what was tried: they travel with the settings, whatever the start method
    trials: Trials = field(default_factory=Trials)


@dataclass(frozen=True, slots=True)
class Done:
    """One closed group of mails, checked: its series with their findings, and the mails read
    and skipped in it."""

    checked: tuple[Checked, ...]
    mails: int
    skipped: int
    #: base commits the repository (--tree) lacks, so the series was applied at HEAD
    missing_bases: tuple[str, ...] = ()


def check(mails: Iterable[RawMail], settings: Settings, jobs: int = 1,
          window: int = WINDOW, start: str | None = None) -> Iterator[Done]:
    """The checked groups of `mails`, in the order of their first mail. With `jobs` > 1 and
    more than one group, the groups are checked in that many processes (started by the
    multiprocessing method `start`, None for the platform's default) while the stream is read
    on; a file of one series is checked here, without starting any. Everything a worker needs
    comes with `settings`, so any start method does."""
    groups = closed_groups(mails, window)
    first = next(groups, None)
    if first is None:
        return
    second = next(groups, None) if jobs > 1 else None
    if second is None:
        yield _check_group(first, settings)
        yield from (_check_group(group_, settings) for group_ in groups)
        return
    # imported here: the pool brings threading, logging and multiprocessing, which a file of one
    # series never needs
    import concurrent.futures
    import multiprocessing

    with concurrent.futures.ProcessPoolExecutor(
            jobs, multiprocessing.get_context(start), initializer=_start_worker) as pool:
        pending: collections.deque = collections.deque()
        try:
            for group_ in itertools.chain((first, second), groups):
                pending.append(pool.submit(_check_group, group_, settings))
                # Keep the workers fed while a long series at the head is still being checked
                # (with 4 groups per worker they sat idle for a third of the run), but read no
                # further ahead than AHEAD groups per worker, so memory stays bounded.
                while len(pending) > AHEAD * jobs or (pending and pending[0].done()):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(cancel_futures=True)


def closed_groups(mails: Iterable[RawMail], window: int = WINDOW) -> Iterator[list[RawMail]]:
    """The mails cut into groups that belong together, each yielded once no mail has joined it
    for `window` mails or its first mail is two windows back (all the rest at the end), in the
    order of their first mail."""
    ties = _Ties(window)
    held: dict[int, list[tuple[int, RawMail]]] = {}
    last: dict[int, int] = {}
    previous: Mark | None = None          # the last patch mail read
    for index, message in enumerate(mails):
        envelope = message.envelope()
        mark = Mark.of(envelope.msgid, envelope.in_reply_to, envelope.references,
                       envelope.sender, envelope.subject, envelope.date, envelope.stamp,
                       envelope.patch_id)
        root = ties.tie(index, archive_keys(mark, previous))
        if mark.subject.is_patch and not mark.subject.reply:
            previous = mark
        for joined in ties.merged:
            held.setdefault(root, []).extend(held.pop(joined, []))
            last.pop(joined, None)
        held.setdefault(root, []).append((index, message))
        last[root] = index
        if index % 256 == 0:
            yield from _release(held, last, ties, index - window)
    yield from _release(held, last, ties, None)


def _release(held, last, ties, before: int | None) -> Iterator[list[RawMail]]:
    """The groups last joined before mail `before`, or begun a window before that (all when
    None), oldest first; while an older group is still open, the groups after it wait, so that
    the order stays the file's."""
    def closed(root: int) -> bool:
        return before is None or last[root] < before or held[root][0][0] < before - ties.window

    oldest_open = min((held[root][0][0] for root in held if not closed(root)), default=None)
    ready = sorted((held[root][0][0], root) for root in held if closed(root))
    for first, root in ready:
        if oldest_open is not None and first > oldest_open:
            break
        yield [message for _, message in sorted(held.pop(root))]
        del last[root]
        ties.forget(root)


class _Ties:
    """Union-find over tie keys; a key not used for `window` mails starts afresh."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.parent: dict[int, int] = {}
        self.owner: dict[tuple, tuple[int, int]] = {}      # key -> (a mail of it, last tie)
        self.keys_of: dict[int, list[tuple]] = collections.defaultdict(list)
        self.members: dict[int, list[int]] = {}
        self.merged: list[int] = []

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def tie(self, index: int, keys: list[tuple]) -> int:
        """The group of mail `index`; `merged` lists the groups it joined into that one."""
        self.parent[index] = index
        self.members[index] = [index]
        roots = {index}
        for key in keys:
            found = self.owner.get(key)
            if found is not None and index - found[1] <= self.window and found[0] in self.parent:
                roots.add(self.find(found[0]))
        root = min(roots)
        self.merged = sorted(roots - {root})
        for other in self.merged:
            self.parent[other] = root
            self.keys_of[root].extend(self.keys_of.pop(other, []))
            self.members[root].extend(self.members.pop(other))
        for key in keys:
            self.owner[key] = (root, index)
            self.keys_of[root].append(key)
        return root

    def forget(self, root: int) -> None:
        """Drop a released group: its keys and its mails."""
        mails = set(self.members[root])
        for key in self.keys_of.pop(root, []):
            if self.owner.get(key, (None,))[0] in mails:
                del self.owner[key]
        for index in self.members.pop(root):
            del self.parent[index]


# --- in a worker -------------------------------------------------------------------------------------

_SPELLING: dict[str | None, Spelling] = {}
# The trials of each check this process works for (one: the settings of one command), so that
# what one group tried is not tried again for the next; the settings come from each task.
_TRIALS: dict[tuple, Trials] = {}


def _start_worker() -> None:
    # A worker is stopped by its pool; Ctrl-C is the reader's to handle, once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_group(mails: list[RawMail], settings: Settings) -> Done:
    messages = [mail.decoded() for mail in mails]
    if settings.pick is not None and not _holds(messages, settings.pick):
        return Done((), len(messages), 0)
    try:
        archive = group(messages, settings.source, settings.revision, settings.pick)
    except UsageError:
        if settings.revision is None:
            raise
        return Done((), len(messages), 0)       # another group may have that revision
    if settings.tree not in _SPELLING:
        _SPELLING[settings.tree] = Spelling.load(settings.tree)
    rules = tuple(catalogue.lookup(name) for name in settings.rules)
    checked, notices = [], []
    for series in archive.series:
        paths = None
        if settings.repository:
            paths = int3path.from_repository(series, settings.tree)
            if paths.missing_base:
                notices.append(paths.missing_base)
        trials = _TRIALS.setdefault(settings.trials.key, settings.trials)
        findings = catalogue.run(series, rules, _SPELLING[settings.tree], paths, trials)
        checked.append(Checked(_outline(series), tuple(findings)))
    return Done(tuple(checked), archive.mails_read, archive.skipped, tuple(notices))


def _outline(series: Series) -> Series:
    """The series as a report shows it (its mails' numbers, subjects, authors and lines), without
    their text: the reader would spend more on taking the whole back than a worker on checking."""
    def bare(patch: Patch) -> Patch:
        return replace(patch, message=(), trailers=(), notes=(), below=(), files=(),
                       followups=(), decode_notes=(), diffstat=None)

    return replace(series, cover=series.cover and bare(series.cover),
                   patches=tuple(map(bare, series.patches)),
                   duplicates=tuple(map(bare, series.duplicates)),
                   superseded=tuple(map(bare, series.superseded)),
                   extra=tuple(map(bare, series.extra)), decode_notes=(), unmatched_followups=())


def _holds(messages: list, msgid: str) -> bool:
    wanted = msgid.strip().strip("<>")
    return any(m.msgid == wanted for m in messages)
