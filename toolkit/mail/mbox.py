"""Mail files cut into mails: mboxes (mboxo, mboxrd), single mails, format-patch folders, gzip, stdin.

Each mail is handed to `toolkit.mail.mime` with the 1-based line of the file every raw line came
from, so that what is decoded from it can still name the line a reviewer will open.

Where a mail starts, since mboxo writers leave body lines starting with "From " as they are:

- A file starts with its first non-blank line: a "From " line (an mbox) or a header field (one
  mail, perhaps followed by more). Anything else is text that is no mail: it is skipped, up to a
  dated "From " line followed by a header field, or a header block with From: and Subject: or with
  a Message-ID, each after a blank line; the first mail gets a "skipped" note naming the lines.
  A file with no such start raises InputError.
- When the first mail starts with a "From " line, every later line that `git mailsplit` takes
  for a From_ line separates, with or without a blank line before it: "From ", then somewhere a
  time "h:mm:ss" (the last colon of the line) followed by a year above 90 ("From <sha> Mon Sep 17
  00:00:00 2001", "From git@z Thu Jan  1 00:00:00 1970"). A body line such as "From 9:00 to 17:30
  the box ..." does not. So `git am` and the toolkit cut such a file into the same mails.
- When the first mail starts with its headers (git takes the whole file as one mail), a later
  From_ line after a blank line separates only when the header block under it has a Message-ID:
  every mail a list delivers has one, while the `git format-patch` output a mail quotes ("From
  <sha> Mon Sep 17 00:00:00 2001", "From:", "Subject:") has none and stays in the body.
- A file whose lines end in CR alone (an old Mac mailer's) is read as lines, with a note; git
  reads it as one line.

Every line belongs to a mail or to the skipped note, except the framing: blank lines before the
first mail or before a From_ line, the From_ lines themselves, and the ">" that mboxrd adds.
Line ends are taken per mail: `mime` removes CRLF transport ends only from a mail stored with them.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from toolkit.errors import InputError
from toolkit.mail import commits
from toolkit.mail.message import DecodeNote, Message
from toolkit.mail.mime import HEADER_START, RawMail

# "From 3c1f0e5a9d Mon Sep 17 00:00:00 2001", "From sam Tue, 7 May 2019 14:00": a line that may
# separate mails carries a time of day.
_SEPARATOR = re.compile(rb"From \S*\s.*\b\d{1,2}:\d\d(:\d\d)?\b")
# What git mailsplit takes for a From_ line, read from its last colon: "d:dd:dd" and then, after
# one more character, a year above 90 ("... 14:00:00 2019", "... 00:00:00 +0200 2019" reads
# "+0200"). The line is at least 20 bytes with its line end.
_GIT_TIME = re.compile(rb"(?s)\d.\d\d:\d\d\s*([+-]?)(\d+)")
_GIT_MIN_LENGTH = 20
_GIT_OLDEST_YEAR = 90
# Header fields that, together, start a mail after text that is none (a Message-ID alone does).
_STRAY_TEXT_ENDS = frozenset({b"from", b"subject"})
# "\n>>From here" (only an mboxrd writer escapes an escaped line) or "\nFrom mboxrd@z Thu ...".
_MBOXRD_MARK = re.compile(rb"\n(>>+From |From mboxrd@)")
# ">From the start", ">>From here": lines an mbox writer escaped.
_ESCAPED_FROM = re.compile(rb">+From ")
# File names taken from a directory (git format-patch writes 0001-subject.patch, b4 am a .mbx
# and its .cover).
_MAIL_SUFFIXES = (".patch", ".diff", ".eml", ".mbox", ".mbx", ".cover")
_GZIP_MAGIC = b"\x1f\x8b"
# The folders of a maildir that hold mail: new (not yet seen by a reader) and cur.
_MAILDIR_FOLDERS = ("cur", "new")


def read_messages(path: str) -> Iterator[Message]:
    """Yield the messages of a mail file, a maildir, a directory of mail files, or stdin (`-`),
    in order."""
    return (raw.decoded() for raw in raw_mails(path))


def raw_mails(path: str) -> Iterator[RawMail]:
    """The mails of `path` as `read_messages` finds them, cut out but not decoded yet (decoding
    is most of reading: an archive has it done where the mails are checked)."""
    if path != "-" and os.path.isdir(path) and _is_maildir(path):
        for folder, name in _maildir_mails(path):
            yield from _read_file(os.path.join(path, folder, name))
    elif path != "-" and os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.removesuffix(".gz").endswith(_MAIL_SUFFIXES) and not n.startswith("."))
        if not names:
            raise InputError("no mail files in this directory",
                             path=path, why="expected *.patch, *.eml or *.mbox files")
        yield from _directory_mails(path, names)
    else:
        yield from _read_file(path)


def _directory_mails(path: str, names: list[str]) -> Iterator[RawMail]:
    """The mails of the files `names` of folder `path`. A file that is no mail is left out with
    a note on a mail beside it (each mail is held back until the next file is read, so that
    one is there to carry it); only a folder without any mail is an error."""
    held: RawMail | None = None
    lost: list[DecodeNote] = []
    for name in names:
        try:
            for mail in _read_file(os.path.join(path, name)):
                if held is not None:
                    yield held
                held = mail
                held.notes.extend(lost)         # what was left out before the first mail
                lost = []
        except InputError as error:
            note = DecodeNote("skipped", f"{name} in {path} is not read: {error.what}"
                              f"{f' ({error.why})' if error.why else ''}", None)
            if held is not None:
                held.notes.append(note)
            else:
                lost.append(note)
    if held is None:
        raise InputError("no mail in this directory", path=path,
                         why="; ".join(note.message for note in lost))
    yield held


def _is_maildir(path: str) -> bool:
    return any(os.path.isdir(os.path.join(path, folder)) for folder in _MAILDIR_FOLDERS)


def _maildir_mails(path: str) -> list[tuple[str, str]]:
    """(folder, name) of every mail of a maildir, oldest first: a maildir name starts with the
    time of delivery, and read and unread mails are one sequence."""
    mails = [(folder, name) for folder in _MAILDIR_FOLDERS
             if os.path.isdir(os.path.join(path, folder))
             for name in os.listdir(os.path.join(path, folder)) if not name.startswith(".")]
    if not mails:
        raise InputError("no mail in this maildir", path=path, why="cur/ and new/ are empty")
    return sorted(mails, key=lambda mail: (_delivered(mail[1]), mail))


def _delivered(name: str) -> float:
    """The delivery time a maildir file name starts with ("1717405200.M1P2.host:2,S")."""
    head = name.split(".", 1)[0]
    return float(head) if head.isdigit() else float("inf")


def git_from_line(line: bytes) -> bool:
    """Whether `git mailsplit` starts a new mail at `line` (with its line end): it begins with
    "From " and its last colon is that of a time "h:mm:ss", followed a character later by a
    number above 90 (the year)."""
    if len(line) < _GIT_MIN_LENGTH or not line.startswith(b"From "):
        return False
    colon = line.rfind(b":", 5, len(line) - 2)
    found = _GIT_TIME.match(line, colon - 4) if colon >= 9 else None
    if not found or found.group(1) == b"-":
        return False
    year = found.group(2).lstrip(b"0")
    return len(year) > 2 or int(year or b"0") > _GIT_OLDEST_YEAR


def _read_file(path: str) -> Iterator[RawMail]:
    with _open(path) as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            mboxrd = _is_mboxrd(stream)
            stream.seek(0)
            cr_only = _cr_only(stream)
            stream.seek(0)
            lines = _cr_lines(stream) if cr_only else stream
            if commits.looks_like_git(_first_line(stream)):
                stream.seek(0)
                yield from commits.commit_mails(list(enumerate(lines, 1)), path)
                return
            stream.seek(0)
            mails = _split(lines, path, mboxrd)
            if cr_only:
                first = next(mails)
                first.notes.append(DecodeNote("line-ends", "the lines of this file end in CR "
                                              "alone; they are read as lines", 1))
                yield first
            yield from mails
        except (EOFError, OSError, zlib.error) as error:  # a gzip cut short, damaged or no gzip
            raise InputError("cannot read", path=path, why=str(error)) from None


def _open(path: str) -> BinaryIO:
    """A seekable binary stream of the file, or of standard input for '-'."""
    if path == "-":
        # Copied aside because the format is detected in a first pass over the bytes.
        import tempfile                 # standard input only

        spool = tempfile.SpooledTemporaryFile(max_size=1 << 24)
        shutil.copyfileobj(sys.stdin.buffer, spool)
        spool.seek(0)
        return spool
    try:
        return open(path, "rb")
    except OSError as error:
        raise InputError("cannot read", path=path, why=error.strerror) from None


def _is_mboxrd(stream: BinaryIO) -> bool:
    """Whether the file is mboxrd: its writer escaped '>From ' too (so '>>From ' occurs), or it
    names itself in a separator as public-inbox and b4 do ('From mboxrd@z ...'), which need not
    be the first line when text or a mail without a From_ line comes first."""
    first = stream.readline()
    if first.startswith(b"From mboxrd@"):
        return True
    tail = b"\n" + first
    while chunk := stream.read(1 << 20):
        if _MBOXRD_MARK.search(tail + chunk):
            return True
        tail = chunk[-16:]
    return False


def _first_line(stream: BinaryIO) -> bytes:
    """The first line of the stream that is not blank."""
    return next((line for line in stream if line.strip()), b"")


def _cr_only(stream: BinaryIO) -> bool:
    """Whether the file's lines end in CR alone: its first 64 KiB hold a CR and no LF."""
    head = stream.read(1 << 16)
    return b"\r" in head and b"\n" not in head


def _cr_lines(stream: BinaryIO) -> Iterator[bytes]:
    """The lines of a file whose lines end in CR alone, each ending in LF."""
    rest = b""
    while chunk := stream.read(1 << 16):
        *whole, rest = (rest + chunk).split(b"\r")
        yield from (line + b"\n" for line in whole)
    if rest:
        yield rest


def _split(stream: Iterable[bytes], source: str, mboxrd: bool) -> Iterator[RawMail]:
    """Cut the stream into mails at separator lines (see the module docstring)."""
    lines = enumerate(stream, 1)
    start, mail, from_first, notes = _first_mail(lines, source)
    by_msgid = not from_first
    for number, raw in lines:
        if by_msgid and raw.startswith(b"From ") and not mail[-1].strip():
            names, ahead = _header_block(lines)
            if b"message-id" in names and git_from_line(raw):
                # The blank line before a From_ line belongs to the separator, not the mail.
                yield _mail(source, start, mail[:-1], mboxrd, from_line=from_first, last=False,
                            notes=notes)
                mail, start, from_first, notes, by_msgid = [], number, True, [], False
            mail.append(raw)
            mail += [line for _, line in ahead]
        elif not by_msgid and git_from_line(raw):
            # an empty line before a From_ line is the writer's framing, not the mail's
            framing = len(mail) > 1 and mail[-1] in (b"\n", b"\r\n")
            yield _mail(source, start, mail[:-1] if framing else mail, mboxrd,
                        from_line=from_first, last=False, notes=notes)
            mail, start, from_first, notes = [raw], number, True, []
        else:
            mail.append(raw)
    yield _mail(source, start, mail, mboxrd, from_line=from_first, last=True, notes=notes)


def _first_mail(lines: Iterator[tuple[int, bytes]], source: str
                ) -> tuple[int, list[bytes], bool, list[DecodeNote]]:
    """Read up to the first mail: its first line, the raw lines read of it, whether it starts
    with a From_ line, and a note naming the text skipped before it."""
    skipped: tuple[int, int] | None = None     # first and last line of text that is no mail
    blank = True
    for number, raw in lines:
        if not raw.strip():
            blank = True
            continue
        if skipped is None and raw.startswith(b"From "):
            # a first line "From ..." can only be a From_ line, dated or not
            return number, [raw], True, []
        if skipped is None and HEADER_START.match(raw):
            return number, [raw], False, []
        found = False
        if blank and raw.startswith(b"From ") and _SEPARATOR.match(raw):
            names, ahead = _header_block(lines)
            found = bool(names)
        elif blank and (field := HEADER_START.match(raw)):
            names, ahead = _header_block(lines, [field.group()[:-1].lower()])
            found = _STRAY_TEXT_ENDS <= set(names) or b"message-id" in names
        else:
            ahead = []
        if found:
            first, last = skipped
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            note = DecodeNote("skipped", f"text before the first mail ({where}) is not read",
                              first)
            return number, [raw, *(line for _, line in ahead)], raw.startswith(b"From "), [note]
        skipped = (skipped or (number, number))[0], number
        for later, line in ahead:
            if line.strip():
                skipped = skipped[0], later
        blank = not (ahead[-1][1] if ahead else raw).strip()
    if skipped is None:
        raise InputError("no mail in this file", path=source, why="it is empty")
    raise InputError("not a mail", path=source, line=skipped[0],
                     why="no 'From ' separator line and no header")


def _header_block(lines: Iterator[tuple[int, bytes]], names: list[bytes] | None = None
                  ) -> tuple[list[bytes], list[tuple[int, bytes]]]:
    """Read on while the lines are header fields: the lower-case field names (after `names`,
    those of the block read so far), and every line read, the first line after the block last."""
    names = names or []
    ahead: list[tuple[int, bytes]] = []
    for number, raw in lines:
        ahead.append((number, raw))
        if names and raw[:1] in (b" ", b"\t") and raw.strip():
            continue
        field = HEADER_START.match(raw)
        if not field:
            break
        names.append(field.group()[:-1].lower())
    return names, ahead


def _mail(source: str, at: int, raw: list[bytes], mboxrd: bool, *, from_line: bool,
          last: bool, notes: list[DecodeNote]) -> RawMail:
    """One mail of the file: its raw lines, without the From_ line, un-escaped."""
    if last and raw and not raw[-1].endswith(b"\n"):
        notes.append(DecodeNote("truncated", "the file ends in the middle of a line",
                                at + len(raw) - 1))
    lines = raw[1:] if from_line else raw
    stamp = raw[0].decode("ascii", "replace").strip() if from_line and raw else None
    if mboxrd:
        # most lines do not start with ">": the test of the first byte spares them the regex
        lines = [line[1:] if line[:1] == b">" and _ESCAPED_FROM.match(line) else line
                 for line in lines]
    return RawMail(source, at, at + 1 if from_line else at, lines, notes, stamp)
