"""Rules over a whole series: its numbering, and what the mail reader had to guess while decoding.

Each rule is a generator `(series, ctx) -> Findings`; `ctx` is a rules.Context.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.checks.context import Context
from toolkit.checks.findings import Finding
from toolkit.mail.message import DecodeNote
from toolkit.series.model import Patch, Series


#: decode-note kinds that mean text was lost, not merely guessed
LOSSY_KINDS = frozenset({"replaced", "truncated"})


def series_numbering(series: Series, ctx: Context) -> Iterator[Finding]:
    for k in series.missing:
        yield ctx.about_series(series, f"patch {k}/{series.total} is missing", missing=k)
    for patch in series.duplicates:
        yield ctx.finding(patch, f"patch {patch.index}/{patch.total} appears more than once "
                                 f"(this copy is not checked)", patch.subject_at or patch.at,
                          line=patch.raw_subject)
    for patch in series.extra:
        yield ctx.finding(patch, f"patch {patch.index}/{patch.total} is beyond the "
                                 f"{series.total} patches of the series", patch.subject_at or patch.at,
                          line=patch.raw_subject)
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


def _lossy(note: DecodeNote) -> bool:
    return note.kind in LOSSY_KINDS


def _mails(series: Series) -> Iterator[Patch]:
    if series.cover is not None:
        yield series.cover
    yield from series.patches
    yield from series.duplicates
    yield from series.extra
