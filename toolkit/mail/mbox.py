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

Whatever the file holds, reading it takes memory bounded by the caps below and time linear in
what is read: a longer line is cut, a longer mail is cut off, a line that never ends stops the
reading, each with a "truncated" note naming what was lost. Pipes, FIFOs and devices are read as
streams; in a directory, what is no regular file is skipped with a note.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator
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
#: The longest line kept: far beyond a line of a patch or of a base64 part not wrapped at all,
#: and small enough that a mail of such lines stays within MAX_MAIL_BYTES.
MAX_LINE = 1 << 20
#: A line that runs on for this long without a line end (a file of zeros, /dev/zero) ends the
#: reading: no mail has one, and the rest of it may never come.
MAX_RUN = 64 << 20
#: What one mail may hold; the rest of it, to the next mail, is skipped with a note. A mailing
#: list takes mails of some hundred kilobytes; these keep a giant hunk or a body of a million
#: quoted-printable soft breaks within memory.
MAX_MAIL_LINES = 200_000
MAX_MAIL_BYTES = 16 << 20
#: A gzip that has expanded to more than MAX_MAIL_LINES lines and to this many lines a byte of
#: what was read of it is a bomb (mail has about one line in three bytes of gzip, a mail repeated
#: a thousand times two or three; blank lines a hundred and more): it ends there, before its
#: millions of blank lines are read one by one.
MAX_LINES_A_BYTE = 25
#: Standard input and other streams are copied aside (the format is detected in a first pass):
#: in memory up to this size, then in a temporary file.
_SPOOL_MEMORY = 1 << 24
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
        yield from _maildir(path)
    elif path != "-" and os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.removesuffix(".gz").endswith(_MAIL_SUFFIXES) and not n.startswith("."))
        if not names:
            raise InputError("no mail files in this directory",
                             path=path, why="expected *.patch, *.eml or *.mbox files")
        yield from _directory_mails(path, names)
    else:
        yield from _read_file(path)


def _maildir(path: str) -> Iterator[RawMail]:
    """The mails of a maildir. A FIFO in it would block the reading for ever, a device never
    end: only regular files are read, and the first mail says what was left out."""
    files = [os.path.join(path, folder, name) for folder, name in _maildir_mails(path)]
    regular = [name for name in files if _is_regular(name)]
    skipped = [DecodeNote("skipped", f"{name} is no regular file; it is not read", None)
               for name in files if name not in set(regular)]
    if not regular:
        raise InputError("no mail file in this maildir is a regular file", path=path,
                         why=f"{len(files)} skipped")
    for name in regular:
        for mail in _read_file(name):
            mail.notes[:0], skipped = skipped, []
            yield mail


def _directory_mails(path: str, names: list[str]) -> Iterator[RawMail]:
    """The mails of the files `names` of folder `path`. A file that is no mail is left out with
    a note on a mail beside it (each mail is held back until the next file is read, so that
    one is there to carry it); only a folder without any mail is an error. What is no regular
    file (a FIFO would block the reading for ever, a device never end) is not opened."""
    held: RawMail | None = None
    lost: list[DecodeNote] = []
    for name in names:
        try:
            if not _is_regular(os.path.join(path, name)):
                raise InputError("no regular file", why="a FIFO, a device or a socket")
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


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True         # opening it says why it cannot be read


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
        stream = _Inflated(raw) if gzipped else raw
        try:
            mboxrd = _is_mboxrd(stream)
            stream.seek(0)
            cr_only = _cr_only(stream)
            stream.seek(0)
            git_log = commits.looks_like_git(_first_line(stream))
            stream.seek(0)
            lines = _Lines(stream, cr_only)
            if git_log:
                yield from commits.commit_mails(list(enumerate(lines, 1)), path)
                return
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
    """A seekable binary stream of the file; standard input ('-'), a pipe, a FIFO or a device
    copied aside as it is read (up to a line that never ends)."""
    if path == "-":
        return _spooled(sys.stdin.buffer)
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise InputError("cannot read", path=path, why=error.strerror) from None
    if stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
        return stream
    with stream:
        return _spooled(stream)


def _spooled(stream: BinaryIO) -> BinaryIO:
    """A copy of `stream` that can be read twice, up to the end of a line longer than MAX_RUN:
    the reading stops there anyway, and an endless device would otherwise fill the disk."""
    import tempfile  # streams only

    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY)
    run = 0
    while chunk := stream.read(1 << 20):
        spool.write(chunk)
        end = chunk.rfind(b"\n")
        run = run + len(chunk) if end < 0 else len(chunk) - end - 1
        if run > MAX_RUN:
            break
    spool.seek(0)
    return spool


class _Inflated:
    """A gzip file read as its text, which ends early, with `bomb` set, where it has expanded
    to more than MAX_LINES_A_BYTE lines a byte: 2 MiB of gzip may hold 2 GiB of blank lines.
    The gzip is read 8 KiB at a time, so that what was read of it is known that closely."""

    def __init__(self, raw: BinaryIO) -> None:
        import gzip  # (a mail file is seldom one)

        self.raw, self.bomb, self.lines = raw, False, 0
        self.text = gzip.GzipFile(fileobj=_Trickle(raw), mode="rb")

    def _over(self) -> bool:
        self.bomb = self.bomb or (self.lines > MAX_MAIL_LINES
                                  and self.lines > MAX_LINES_A_BYTE * self.raw.tell())
        return self.bomb

    def read(self, size: int) -> bytes:
        data = b"" if self._over() else self.text.read(size)
        self.lines += data.count(b"\n")
        return data

    def readline(self, size: int) -> bytes:
        data = b"" if self._over() else self.text.readline(size)
        self.lines += data.endswith(b"\n")
        return data

    def seek(self, offset: int) -> int:
        self.bomb, self.lines = False, 0
        return self.text.seek(offset)


class _Trickle:
    """A binary file that hands out at most 8 KiB a read."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(8192 if size < 0 else min(size, 8192))

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()


def _is_mboxrd(stream: BinaryIO) -> bool:
    """Whether the file is mboxrd: its writer escaped '>From ' too (so '>>From ' occurs), or it
    names itself in a separator as public-inbox and b4 do ('From mboxrd@z ...'), which need not
    be the first line when text or a mail without a From_ line comes first. (No further than
    the reading goes: to a line that runs on for MAX_RUN.)"""
    first = stream.readline(MAX_LINE)
    if first.startswith(b"From mboxrd@"):
        return True
    tail, run = b"\n" + first, len(first) if not first.endswith(b"\n") else 0
    while chunk := stream.read(1 << 20):
        if _MBOXRD_MARK.search(tail + chunk):
            return True
        tail = chunk[-16:]
        end = chunk.rfind(b"\n")
        run = run + len(chunk) if end < 0 else len(chunk) - end - 1
        if run > MAX_RUN:
            return False
    return False


def _first_line(stream: BinaryIO) -> bytes:
    """The first line of the stream that is not blank (up to MAX_LINE of it)."""
    return next((line for line in iter(lambda: stream.readline(MAX_LINE), b"") if line.strip()),
                b"")


def _cr_only(stream: BinaryIO) -> bool:
    """Whether the file's lines end in CR alone: its first 64 KiB hold a CR and no LF."""
    head = stream.read(1 << 16)
    return b"\r" in head and b"\n" not in head


# LF and CR swapped: the lines of a file whose lines end in CR alone are split as LF lines.
_SWAP = bytes.maketrans(b"\r\n", b"\n\r")


class _Lines:
    """The lines of a binary stream, each ending in LF, read in pieces so that no line is ever
    held whole: a line longer than MAX_LINE is cut to that (its line end kept), and a line that
    runs on for MAX_RUN ends the reading; `cuts` notes each, by line. With `cr_only`, the lines
    end in CR alone (an old Mac mailer's) and are read as lines ending in LF."""

    def __init__(self, stream: BinaryIO, cr_only: bool = False) -> None:
        self.stream, self.cr_only = stream, cr_only
        self.cuts: list[DecodeNote] = []

    def __iter__(self) -> Iterator[bytes]:
        number, carry, run = 0, b"", None      # run: the length of a cut line read so far
        end_of_line = b"\r" if self.cr_only else b"\n"
        while chunk := self.stream.read(1 << 20):
            if run is not None:
                end = chunk.find(end_of_line)
                run += len(chunk) if end < 0 else end + 1
                if end < 0 and run <= MAX_RUN:
                    continue
                number += 1
                self.cuts.append(_cut_note(number, run, stopped=end < 0))
                if end < 0:
                    yield carry
                    return
                yield carry + b"\n"
                chunk, carry, run = chunk[end + 1:], b"", None
            lines = self._lines(carry + chunk)
            carry = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
            if lines and max(map(len, lines)) > MAX_LINE:
                lines = [self._cut(number + k, line) for k, line in enumerate(lines, 1)]
            number += len(lines)
            yield from lines
            if len(carry) > MAX_LINE:
                carry, run = carry[:MAX_LINE], len(carry)
        if run is not None:
            self.cuts.append(_cut_note(number + 1, run, stopped=False))
        if getattr(self.stream, "bomb", False):
            self.cuts.append(DecodeNote("truncated", f"the gzip expands to more than "
                                        f"{MAX_LINES_A_BYTE} lines a byte (a bomb?): what "
                                        f"follows line {number} is not read", max(number, 1)))
        if carry:
            yield carry

    def _lines(self, data: bytes) -> list[bytes]:
        if not self.cr_only:
            return io.BytesIO(data).readlines()
        # split at CR, each line given an LF end; an LF inside a line stays in it
        return [line[:-1].translate(_SWAP) + b"\n" if line.endswith(b"\n")
                else line.translate(_SWAP) for line in io.BytesIO(data.translate(_SWAP))]

    def _cut(self, number: int, line: bytes) -> bytes:
        if len(line) <= MAX_LINE:
            return line
        self.cuts.append(_cut_note(number, len(line), stopped=False))
        return line[:MAX_LINE] + b"\n"

    def taken(self, before: int) -> list[DecodeNote]:
        """The notes of cuts before line `before`, handed over once."""
        taken = [note for note in self.cuts if note.at < before]
        self.cuts = self.cuts[len(taken):]
        return taken


def _cut_note(number: int, length: int, stopped: bool) -> DecodeNote:
    if stopped:
        return DecodeNote("truncated", f"line {number} runs on for more than {MAX_RUN >> 20} "
                          "MiB without a line end; it and the rest of the file are not read",
                          number)
    return DecodeNote("truncated", f"line {number} is {length:,} bytes long; only its first "
                      f"{MAX_LINE:,} are read", number)


def _split(reader: _Lines, source: str, mboxrd: bool) -> Iterator[RawMail]:
    """Cut the lines into mails at separator lines (see the module docstring); a mail longer
    than MAX_MAIL_LINES or MAX_MAIL_BYTES is kept up to there, and the rest of it read on to
    the next mail."""
    lines = enumerate(reader, 1)
    start, mail, from_first, notes = _first_mail(lines, source)
    by_msgid = not from_first
    size, previous, dropped = 0, mail[-1], None
    for number, raw in lines:
        if by_msgid and raw.startswith(b"From ") and not previous.strip():
            names, ahead = _header_block(lines)
            if b"message-id" in names and git_from_line(raw):
                # The blank line before a From_ line belongs to the separator, not the mail.
                notes += reader.taken(number) + _dropped(dropped, number - 1)
                yield _mail(source, start, mail if dropped else mail[:-1], mboxrd,
                            from_line=from_first, last=False, notes=notes)
                mail, start, from_first, notes, by_msgid = [], number, True, [], False
                size, dropped = 0, None
            previous = ahead[-1][1] if ahead else raw
            if dropped is None:
                mail.append(raw)
                mail += [line for _, line in ahead]
            continue
        if not by_msgid and git_from_line(raw):
            # an empty line before a From_ line is the writer's framing, not the mail's
            framing = dropped is None and len(mail) > 1 and mail[-1] in (b"\n", b"\r\n")
            notes += reader.taken(number) + _dropped(dropped, number - 1)
            yield _mail(source, start, mail[:-1] if framing else mail, mboxrd,
                        from_line=from_first, last=False, notes=notes)
            mail, start, from_first, notes = [raw], number, True, []
            size, previous, dropped = len(raw), raw, None
            continue
        previous = raw
        if dropped is None:
            mail.append(raw)
            size += len(raw)
            if size > MAX_MAIL_BYTES or len(mail) > MAX_MAIL_LINES:
                # the rest of the mail is read on to the next one, and not kept
                dropped = number + 1
    notes += reader.taken(sys.maxsize)
    if dropped is not None:
        notes += _dropped(dropped, number)
    yield _mail(source, start, mail, mboxrd, from_line=from_first, last=True, notes=notes)


def _dropped(first: int | None, last: int) -> list[DecodeNote]:
    """The note for the lines of a mail beyond what one mail may hold (none when there were
    none)."""
    if first is None or last < first:
        return []
    return [DecodeNote("truncated", f"the mail is longer than {MAX_MAIL_LINES:,} lines or "
                       f"{MAX_MAIL_BYTES >> 20} MiB: lines {first}-{last} are not read", first)]


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
