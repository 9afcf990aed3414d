"""Rules over a whole series: its numbering, and what the mail reader had to guess while decoding.

Each rule is a generator `(series, ctx) -> Findings`; `ctx` is a `toolkit.checks.context.Context`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Level
from toolkit.mail.message import DecodeNote
from toolkit.series.model import MAX_TOTAL, Patch, Series

#: decode-note kinds that mean text was lost, not merely guessed
LOSSY_KINDS = frozenset({"replaced", "truncated", "skipped"})


def series_numbering(series: Series, ctx: Context) -> Iterator[Finding]:
    if series.total > MAX_TOTAL:
        # a mistake or an attack, not a series: said once, and the count is not gone through
        yield replace(ctx.about_series(series, f"the subjects count {series.total:,} patches, "
                                               f"more than any series has; only numbers up to "
                                               f"{MAX_TOTAL:,} are looked for",
                                       total=series.total), level=Level.WARNING)
    if series.missing:
        count = len(series.missing)
        finding = ctx.about_series(
            series, f"{'patch' if count == 1 else 'patches'} {ranges(series.missing)} of "
                    f"{series.total} {'is' if count == 1 else 'are'} missing",
            missing=list(series.missing))
        present = len(series.patches) + len(series.duplicates) + len(series.extra)
        if present <= 1:
            # One mail saved from a list, or a list that was sent only the cover letter and a
            # patch of a wider series, is no broken series: say what was not seen, quietly.
            held = "only the cover letter" if present == 0 else "only one patch"
            finding = replace(finding, level=Level.NOTE,
                              message=f"{finding.message} (the file holds {held} of it)")
        else:
            # A list is often sent a part of a series (the patches for its area), as b4 says
            # when it cannot find the rest: on 15 real lists no such remark was a fault of the
            # series, so it is a note to look, not a warning.
            finding = replace(finding, level=Level.NOTE,
                              message=f"{finding.message} (not in this file: a list is often "
                                      f"sent only the patches for its area)")
        yield finding
    for patch in series.duplicates:
        yield ctx.finding(patch, f"patch {patch.index}/{patch.total} appears more than once "
                                 f"(this copy is not checked)", patch.subject_at or patch.at,
                          line=patch.raw_subject)
    for patch in series.superseded:
        # a posting re-sent without a new version tag, a patch re-sent in its thread, a commit
        # notice sent again after a rebase: a newer copy, not a fault of the series
        name = "the cover letter" if patch.index == 0 else f"patch {patch.index}/{patch.total}"
        finding = ctx.finding(patch, f"{name} is of an earlier posting of this series; the "
                                     f"later posting is the one checked",
                              patch.subject_at or patch.at,
                              line=patch.raw_subject)
        yield replace(finding, level=Level.NOTE)
    for patch in series.extra:
        # "[PATCH 9/8]": an add-on sent after the series, a habit of the lists, not a mistake
        finding = ctx.finding(patch, f"patch {patch.index}/{patch.total} is an add-on beyond the "
                                     f"{series.total} patches of the series",
                              patch.subject_at or patch.at, line=patch.raw_subject)
        yield replace(finding, level=Level.NOTE)
    totals = sorted(set(series.totals_seen))
    if len(totals) > 1:
        counts = ", ".join(str(n) for n in totals)
        yield ctx.about_series(series, f"the mails disagree on how many patches the series has: "
                                       f"{counts}", totals=totals)


def mail_decoding(series: Series, ctx: Context) -> Iterator[Finding]:
    yield from _notes(series, ctx, lossy=False)


def mail_data_lost(series: Series, ctx: Context) -> Iterator[Finding]:
    yield from _notes(series, ctx, lossy=True)


def _notes(series: Series, ctx: Context, lossy: bool) -> Iterator[Finding]:
    for note in series.decode_notes:
        if _lossy(note) == lossy:
            yield ctx.about_series(series, note.message, note.at, kind=note.kind)
    for patch in _mails(series):
        for note in patch.decode_notes:
            if _lossy(note) == lossy:
                yield ctx.finding(patch, note.message, note.at, kind=note.kind)


def ranges(numbers: Iterable[int]) -> str:
    """`2-15, 17` for 2, 3, ..., 15, 17."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _lossy(note: DecodeNote) -> bool:
    return note.kind in LOSSY_KINDS


def _mails(series: Series) -> Iterator[Patch]:
    if series.cover is not None:
        yield series.cover
    yield from series.patches
    yield from series.duplicates
    yield from series.superseded
    yield from series.extra
