"""Review replies: the findings on each patch as a mail that quotes the patch and answers inline.

A reply has the shape of a reviewer's answer on a mailing list: `Re:` subject, threaded under the
patch, to its author with the original recipients on Cc, an attribution line, the lines a remark
is about quoted with `> ` and the remark right under them, everything else cut to `[...]`, and at
the end what could not be checked.
"""

from __future__ import annotations

import bisect
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from email.generator import Generator
from email.message import EmailMessage
from email.policy import default
from email.utils import formataddr
from io import StringIO

from toolkit.checks.applying import commit_references
from toolkit.checks.findings import Finding
from toolkit.errors import InputError
from toolkit.mail.message import Message, Person
from toolkit.report.report import CheckReport
from toolkit.series.model import Patch, Series

# "\n" line ends as in an mbox file on disk; git send-email converts them for SMTP. Headers are
# folded only at the hard limit of 998: the email package folds a long Subject: right after the
# colon, and git send-email's search for the subject line then fails ("No subject line in ...").
_POLICY = default.clone(linesep="\n", max_line_length=998)
#: the mbox separator line; a fixed date, as git format-patch writes, keeps the output reproducible
FROM_LINE = "From toolkit Mon Sep 17 00:00:00 2001"
#: lines of context quoted above the line a remark is about
CONTEXT = 3
#: gaps of at most this many lines between quoted lines are quoted rather than cut
BRIDGE = 3
#: where the remarks are wrapped, as in a mail client's composer
WIDTH = 72
#: what marks quoted text that was cut
CUT = "[...]"
# "Re: ", "RE: ", "Re[2]: ": a subject that already says it is a reply.
_REPLY = re.compile(r"re(\[\d+\])?:\s*", re.IGNORECASE)


def not_checked(tree: str | None, series: Series, applied: Iterable[str],
           known: Iterable[str]) -> tuple[str, ...]:
    """What a reply should say was not checked, from how the check was run: with a tree or not
    (which matters only when the series refers to commits), and which of the `known` rules were
    `applied` (the shorter of the two lists is named)."""
    notes = []
    if tree is None and any(commit_references(patch) for patch in series.patches):
        notes.append("no kernel tree given: Fixes: tags and commit references are unverified")
    applied = sorted(set(applied))
    left_out = sorted(set(known) - set(applied))
    if left_out and len(left_out) <= len(applied):
        notes.append("rules not applied in this run: " + ", ".join(left_out))
    elif left_out:
        notes.append("only these rules were applied: " + ", ".join(applied))
    return tuple(notes)


def replies(report: CheckReport, messages: Iterable[Message],
            unchecked: Callable[[Series], Sequence[str]] = lambda series: ()
            ) -> list[EmailMessage]:
    """One reply per mail with remarks, series by series, in mail order. Remarks about a series
    as a whole go to its cover letter, or to its first patch when there is none; what could not
    be run is listed under "Not checked" (with `unchecked(series)`) instead of standing as a
    remark."""
    by_place = {(m.source, m.at): m for m in messages}
    starts = sorted(by_place)
    return [mail for checked in report.checked
            for mail in _series_replies(checked.series, checked.findings, starts, by_place,
                                        unchecked(checked.series))]


def _series_replies(series: Series, findings: Sequence[Finding], starts: list[tuple[str, int]],
                    by_place: dict[tuple[str, int], Message], unchecked: Sequence[str]
                    ) -> list[EmailMessage]:
    mails = {(p.source, p.at): p
             for p in (series.cover, *series.patches, *series.duplicates, *series.extra) if p}
    if not mails:
        return []
    found: dict[tuple[str, int], list[Finding]] = {}
    for finding in findings:
        place = _place_of(finding, starts, mails)
        if place is None:
            home = series.cover or (series.patches[0] if series.patches else min(
                mails.values(), key=lambda p: (p.source, p.at)))
            place = (home.source, home.at)
        found.setdefault(place, []).append(finding)
    # A mail whose only findings are what could not be run gets no reply: the author has
    # nothing to answer.
    return [_reply(mails[place], by_place[place], found[place], unchecked)
            for place in sorted(found)
            if not all(f.evidence.get("unchecked") for f in found[place])]


def mbox(mails: Iterable[EmailMessage]) -> str:
    """The replies as one mbox stream (for a mail client or `git am`-like tools)."""
    return "".join(_as_text(mail) for mail in mails)


def write(mails: Sequence[EmailMessage], outdir: str) -> list[str]:
    """Write each reply to its own file in `outdir`, as git send-email wants one mail per file.
    The directory must be new or empty: send-email would send any stale file along."""
    try:
        os.makedirs(outdir, exist_ok=True)
        if os.listdir(outdir):
            raise InputError("the output directory is not empty", path=outdir,
                             why="git send-email DIR would send every file in it")
        paths = []
        for k, mail in enumerate(mails, 1):
            path = os.path.join(outdir, f"{k:04d}-{_slug(str(mail['Subject']))}.eml")
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(_as_text(mail))
            paths.append(path)
    except OSError as error:
        raise InputError("cannot write the replies", path=outdir, why=error.strerror) from None
    return paths


def _place_of(finding: Finding, starts: list[tuple[str, int]],
              mails: dict[tuple[str, int], Patch]) -> tuple[str, int] | None:
    """(source, first line) of the series mail a finding is about: the message that holds its
    mbox line (`starts` are the messages' first lines, sorted) if that is a mail of the series,
    else the mail its patch reference names; None for a remark about the whole series."""
    where = finding.mbox_at
    if where is not None and where.line is not None:
        k = bisect.bisect_right(starts, (where.path, where.line)) - 1
        if k >= 0 and starts[k][0] == where.path and starts[k] in mails:
            return starts[k]
    ref = finding.patch
    if ref is None:
        return None
    named = [place for place, p in mails.items()
             if p.index == ref.index and (ref.msgid is None or p.msgid == ref.msgid)]
    return min(named) if named else None


def _reply(patch: Patch, message: Message, findings: list[Finding],
           unchecked: Sequence[str]) -> EmailMessage:
    mail = EmailMessage(policy=_POLICY)
    # a header value cannot hold a line end; a decoded subject could
    subject = " ".join((message.subject or patch.raw_subject).split())
    mail["Subject"] = subject if _REPLY.match(subject) else f"Re: {subject}"
    mail["To"] = _address(patch.author)
    cc = _recipients((*message.to, *message.cc, patch.sender), besides=patch.author)
    if cc:
        mail["Cc"] = ", ".join(_address(person) for person in cc)
    if message.msgid:
        mail["In-Reply-To"] = f"<{message.msgid}>"
        chain = list(message.references) or ([message.in_reply_to] if message.in_reply_to else [])
        mail["References"] = " ".join(f"<{msgid}>" for msgid in dict.fromkeys([*chain,
                                                                               message.msgid]))
    # What the toolkit could not run is a limit of this review, not a remark on the author's
    # lines: it joins the "Not checked" list instead of standing under a quoted line.
    limits = [f"{f.message} ({f.file_at})" if f.file_at else f.message
              for f in findings if f.evidence.get("unchecked")]
    remarks = [f for f in findings if not f.evidence.get("unchecked")]
    body = _body(patch, message, remarks, (*limits, *unchecked))
    long_lines = any(len(line) > 990 for line in body.splitlines())
    mail.set_content(body, cte="quoted-printable" if long_lines else "8bit")
    return mail


def _body(patch: Patch, message: Message, findings: list[Finding],
          unchecked: Sequence[str]) -> str:
    lines = [line.text for line in message.body]
    remarks, on_subject, general = _placed(message, findings)
    quoted = set()
    for k in remarks:
        quoted.update(_context(patch, message, k))
    # Cutting a line or two saves the reader nothing and breaks the flow of what is quoted.
    for gap_start, gap_end in _gaps(sorted(quoted)):
        if gap_end - gap_start <= BRIDGE:
            quoted.update(range(gap_start, gap_end))
    out: list[str] = []
    if quoted or on_subject:
        name = (message.sender.name or message.sender.email) if message.sender else "you"
        out.append(f"On {message.date}, {name} wrote:" if message.date else f"{name} wrote:")
    if on_subject:
        out.append(_quote(f"Subject: {message.subject}"))
        out.extend(_remarks(on_subject))
    last = -1
    for k in sorted(quoted):
        if k != last + 1:
            out.append(CUT)
        out.append(_quote(lines[k]))
        out.extend(_remarks(remarks.get(k, ())))
        last = k
    if (quoted or on_subject) and last != len(lines) - 1:
        out.append(CUT)
    out.extend(_remarks(general))
    if unchecked:
        if out and out[-1]:
            out.append("")
        out.append("Not checked:")
        out.extend(textwrap.fill(note, WIDTH, initial_indent="- ", subsequent_indent="  ",
                                 break_long_words=False, break_on_hyphens=False)
                   for note in unchecked)
    return "\n".join(out).strip("\n") + "\n"


def _placed(message: Message, findings: list[Finding]
            ) -> tuple[dict[int, list[Finding]], list[Finding], list[Finding]]:
    """The findings by where the reply puts them: under a body line (by its index), under the
    quoted subject, or after the quotes."""
    index: dict[int, int] = {}
    for k, line in enumerate(message.body):
        if line.at is not None:
            index.setdefault(line.at, k)
    remarks: dict[int, list[Finding]] = {}
    on_subject, general = [], []
    for finding in findings:
        where = finding.mbox_at
        line = where.line if where is not None and where.path == message.source else None
        if line is not None and line in index:
            remarks.setdefault(index[line], []).append(finding)
        elif line is not None and line == message.subject_at:
            on_subject.append(finding)
        else:
            general.append(finding)
    return remarks, on_subject, general


def _context(patch: Patch, message: Message, k: int) -> set[int]:
    """Body indices to quote for a remark at body index k: a few lines above it in its paragraph,
    and for a diff line its file's first line and its hunk's header, so the reader sees where."""
    at = message.body[k].at
    for file in patch.files:
        for hunk in file.hunks:
            if any(line.at == at for line in hunk.lines):
                anchors = {i for i, line in enumerate(message.body)
                           if line.at is not None and line.at in (file.at, hunk.at)}
                top = max(anchors, default=0)
                return anchors | set(range(max(top, k - CONTEXT), k + 1))
    chosen = {k}
    for i in range(k - 1, max(-1, k - CONTEXT - 1), -1):
        if not message.body[i].text.strip():
            break
        chosen.add(i)
    return chosen


def _gaps(indices: list[int]) -> list[tuple[int, int]]:
    """The [start, end) ranges missing between consecutive sorted indices."""
    return [(a + 1, b) for a, b in zip(indices, indices[1:]) if b > a + 1]


def _quote(text: str) -> str:
    # A bare carriage return would end the line in transit; show it as editors do.
    text = text.replace("\r", "^M")
    return f"> {text}" if text else ">"


def _remarks(findings: Iterable[Finding]) -> list[str]:
    """Each remark as a paragraph of its own, a blank line above and below; a remark backed by
    a run in the emulator shows the stack that run left (or the patched site's bytes over the
    steps), as the evidence to look at."""
    out = []
    for finding in findings:
        out.extend(("", textwrap.fill(f"{finding.message} ({finding.rule})", WIDTH,
                                      break_long_words=False, break_on_hyphens=False)))
        stack = finding.evidence.get("stack_text")
        if isinstance(stack, str) and stack.strip():
            scenario = finding.evidence.get("scenario")
            out.extend(("", f"The stack as the emulator left it ({scenario}):"
                        if isinstance(scenario, str) else "The stack as the emulator left it:"))
            out.extend("    " + line for line in stack.rstrip("\n").splitlines())
        picture = finding.evidence.get("picture")
        if isinstance(picture, str) and picture.strip():
            out.extend(("", "The patched site, step by step, as another CPU may fetch it:"))
            out.extend("    " + line for line in picture.rstrip("\n").splitlines())
    return [*out, ""] if out else []


def _recipients(people: Iterable[Person], besides: Person) -> list[Person]:
    seen = {besides.email.lower()}
    kept = []
    for person in people:
        if person.email and person.email.lower() not in seen:
            seen.add(person.email.lower())
            kept.append(person)
    return kept


def _address(person: Person) -> str:
    try:
        return formataddr((person.name, person.email))
    except UnicodeError:
        # a non-ASCII local part (RFC 6532), which formataddr cannot encode: written as read,
        # the name quoted as formataddr would
        return formataddr((person.name, "x@x")).replace("<x@x>", f"<{person.email}>")


def _slug(subject: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", subject)[:52].strip("-") or "reply"


def _as_text(mail: EmailMessage) -> str:
    out = StringIO()
    out.write(FROM_LINE + "\n")
    # mangle_from_: a body line starting "From " would start a new message in an mbox
    Generator(out, mangle_from_=True, policy=_POLICY).flatten(mail)
    text = out.getvalue()
    return text if text.endswith("\n\n") else text + "\n"
