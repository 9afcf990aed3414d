"""Series assembly against the cases in tests/data/mail/: each `<case>.toml` with a [series]
table names its input and the projections expected from read_series()."""

import tomllib
from pathlib import Path

import pytest

from toolkit.errors import InputError, UsageError
from toolkit.series import read_series
from toolkit.series.model import Series

DATA = Path(__file__).parents[1] / "data/mail"
CASES = {path.stem: case for path in sorted(DATA.glob("*.toml"))
         if "input" in (case := tomllib.loads(path.read_text()))}
SERIES_CASES = sorted(name for name, case in CASES.items() if "series" in case)
assert SERIES_CASES, "no cases found: a table that is empty would pass vacuously"


def _at(value):
    return "none" if value is None else value


def _mails(series: Series):
    return ((series.cover,) if series.cover else ()) + series.patches


def project(series: Series) -> dict:
    """Every projection a case may ask for, as plain data comparable with TOML values."""
    mails = _mails(series)
    return {
        "revision": series.revision,
        "total": series.total,
        "revisions": list(series.revisions),
        "missing": list(series.missing),
        "duplicates": [[p.index, p.subject] for p in series.duplicates],
        "superseded": [[p.index, p.subject, p.msgid] for p in series.superseded],
        "extra": [[p.index, p.subject] for p in series.extra],
        "totals_seen": list(series.totals_seen),
        "messages_read": series.messages_read,
        "patches": [[p.index, p.subject, p.author.email] for p in mails],
        "senders": [[p.index, p.sender.email] for p in mails],
        "sources": [[p.index, Path(p.source).name] for p in mails],
        "flags": [[p.index, p.rfc, p.resend, list(p.prefixes)] for p in mails],
        "subject_at": [[p.index, _at(p.subject_at)] for p in mails],
        "separator_at": [[p.index, _at(p.separator_at)] for p in mails],
        "base_commit": [[p.index, p.base_commit] for p in mails if p.base_commit],
        "message": [[p.index, len(p.message), _at(p.message[0].at), p.message[0].text]
                    for p in mails if p.message],
        "trailers": [[p.index, t.name, t.value, _at(t.at)] for p in mails for t in p.trailers],
        "trailer_people": [[p.index, t.name, t.person.email] for p in mails for t in p.trailers
                           if t.person],
        "notes": [[p.index, n.text, _at(n.at)] for p in mails for n in p.notes],
        "below": [[p.index, [_at(line.at) for line in p.below]] for p in mails if p.below],
        "diffstat": [[p.index, _at(p.diffstat.files_changed), p.diffstat.insertions,
                      p.diffstat.deletions,
                      [[e.path, _at(e.changes), _at(e.at)] for e in p.diffstat.entries]]
                     for p in mails if p.diffstat],
        "files": [[p.index, _at(f.old_path), _at(f.new_path), f.binary, f.rename, f.added,
                   f.removed, _at(f.at)] for p in mails for f in p.files],
        "hunks": [[p.index, f.path, h.old_start, h.new_start, _at(h.at), h.section]
                  for p in mails for f in p.files for h in f.hunks],
        "followups": [[p.index, f.author.email, [t.name for t in f.trailers], len(f.comments)]
                      for p in mails for f in p.followups],
        "followup_trailers": [[p.index, t.name, t.person.email if t.person else "none", _at(t.at)]
                              for p in mails for f in p.followups for t in f.trailers],
        "comments": [[p.index, [_at(q.at) for q in c.quoted], [_at(t.at) for t in c.text]]
                     for p in mails for f in p.followups for c in f.comments],
        "unmatched": [[f.author.email, f.subject] for f in series.unmatched_followups],
        "decode_notes": [["series", n.kind, _at(n.at)] for n in series.decode_notes]
        + [[p.index, n.kind, _at(n.at)] for p in mails for n in p.decode_notes],
    }


def diff_lines(series: Series) -> list:
    return [[p.index, f.path, d.kind, _at(d.old_line), _at(d.new_line), _at(d.at), d.text]
            for p in _mails(series) for f in p.files for h in f.hunks for d in h.lines]


@pytest.mark.parametrize("name", SERIES_CASES)
def test_series_case(name):
    case = CASES[name]
    expected = case["series"]
    series = read_series(str(DATA / case["input"]), revision=case.get("revision"))
    got = project(series)
    assert {key: got[key] for key in expected if key != "lines"} == \
        {key: value for key, value in expected.items() if key != "lines"}
    # `lines` lists a few diff lines (patch, path, kind, old, new, mbox line, text) to find
    all_lines = diff_lines(series)
    assert [line for line in expected.get("lines", []) if line not in all_lines] == []


def test_every_case_input_exists():
    assert [name for name, case in CASES.items() if not (DATA / case["input"]).exists()] == []


def test_revision_can_be_chosen():
    series = read_series(str(DATA / "revisions.mbox"), revision=1)
    assert (series.revision, [p.subject for p in series.patches]) == \
        (1, ["x86: add int3_emulate_call()", "x86/ftrace: emulate the call"])


def test_unknown_revision_lists_the_ones_found():
    with pytest.raises(UsageError) as caught:
        read_series(str(DATA / "revisions.mbox"), revision=5)
    assert str(caught.value).endswith("no revision 5 in this mail (revisions found: v1, v2)")


def test_mail_without_patches_is_an_input_error():
    with pytest.raises(InputError, match="no patch in this mail"):
        read_series(str(DATA / "reply-only.eml"))


def test_many_messages_are_read_in_order(tmp_path):
    # 5,000 mails: a 2,500-patch series, each patch followed by one review
    path = tmp_path / "large.mbox"
    with path.open("w") as out:
        for k in range(1, 2501):
            out.write(f"From x Mon Sep 17 00:00:00 2001\nFrom: A <a@example.org>\n"
                      f"Subject: [PATCH {k}/2500] part {k}\nMessage-ID: <{k}@example.org>\n\n"
                      f"Change {k}.\n\nSigned-off-by: A <a@example.org>\n---\n"
                      f"diff --git a/f{k} b/f{k}\n--- a/f{k}\n+++ b/f{k}\n@@ -1 +1 @@\n-a\n+b\n\n")
            out.write(f"From y Mon Sep 17 00:00:00 2001\nFrom: R <r@example.org>\n"
                      f"Subject: Re: [PATCH {k}/2500] part {k}\nIn-Reply-To: <{k}@example.org>\n\n"
                      f"Reviewed-by: R <r@example.org>\n\n")
    series = read_series(str(path))
    assert (series.messages_read, series.total, len(series.patches), series.missing) == \
        (5000, 2500, 2500, ())
    last = series.patches[-1]
    at = 2499 * (16 + 7) + 1  # a patch mail is 16 lines, a review 7
    assert (last.subject, last.at, last.files[0].hunks[0].lines[1].at,
            [t.name for t in last.followups[0].trailers]) == \
        ("part 2500", at, at + 14, ["Reviewed-by"])


def test_crlf_mbox_reads_like_its_lf_original(tmp_path):
    # transport CRLF on every line of a many-mail mbox changes nothing but the file name
    original = DATA / "int3-series.mbox"
    crlf = tmp_path / "int3-series-crlf.mbox"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    lf, cr = read_series(str(original)), read_series(str(crlf))
    assert ({k: v for k, v in project(cr).items() if k != "sources"}, diff_lines(cr)) == \
        ({k: v for k, v in project(lf).items() if k != "sources"}, diff_lines(lf))
