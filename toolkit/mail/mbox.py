"""Mail files cut into mails: mboxes (mboxo, mboxrd), single mails, format-patch folders, gzip, stdin.

Each mail is handed to `toolkit.mail.mime` with the 1-based line of the file every raw line came
from, so that what is decoded from it can still name the line a reviewer will open.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from toolkit.errors import InputError
from toolkit.mail.message import DecodeNote, Message
from toolkit.mail.mime import HEADER_START, decode

# "From 3c1f0e5a9d Mon Sep 17 00:00:00 2001", "From mboxrd@z Thu Jan  1 00:00:00 1970": after the
# first mail, a separator follows a blank line and carries a time of day, so that a body line
# merely starting with "From " does not split a mail.
_SEPARATOR = re.compile(rb"From \S*\s.*\b\d{1,2}:\d\d(:\d\d)?\b")
# ">From the start", ">>From here": lines an mbox writer escaped.
_ESCAPED_FROM = re.compile(rb">+From ")
# File names taken from a directory (git format-patch writes 0001-subject.patch).
_MAIL_SUFFIXES = (".patch", ".diff", ".eml", ".mbox", ".mbx")
_GZIP_MAGIC = b"\x1f\x8b"


def read_messages(path: str) -> Iterator[Message]:
    """Yield the messages of a mail file, directory of mail files, or stdin (`-`), in order."""
    if path != "-" and os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.removesuffix(".gz").endswith(_MAIL_SUFFIXES) and not n.startswith("."))
        if not names:
            raise InputError("no mail files in this directory",
                             path=path, why="expected *.patch, *.eml or *.mbox files")
        for name in names:
            yield from _read_file(os.path.join(path, name))
    else:
        yield from _read_file(path)


def _read_file(path: str) -> Iterator[Message]:
    with _open(path) as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            mboxrd = _is_mboxrd(stream)
            stream.seek(0)
            yield from _split(stream, path, mboxrd)
        except (EOFError, OSError, zlib.error) as error:  # a gzip cut short, damaged or no gzip
            raise InputError("cannot read", path=path, why=str(error)) from None


def _open(path: str) -> BinaryIO:
    """A seekable binary stream of the file, or of standard input for '-'."""
    if path == "-":
        # Copied aside because the format is detected in a first pass over the bytes.
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
    names itself in the separator as public-inbox and b4 do ('From mboxrd@z ...')."""
    first = stream.readline()
    if first.startswith(b"From mboxrd@"):
        return True
    tail = b"\n" + first
    while chunk := stream.read(1 << 20):
        if re.search(rb"\n>>+From ", tail + chunk):
            return True
        tail = chunk[-16:]
    return False


def _split(stream: BinaryIO, source: str, mboxrd: bool) -> Iterator[Message]:
    """Cut the stream into mails at From_ lines; a file without one is a single mail."""
    lines: list[bytes] = []
    start = 1
    is_mbox = None
    for number, raw in enumerate(stream, 1):
        if is_mbox is None:
            if not raw.strip():
                start = number + 1
                continue
            # a first line "From ..." can only be a From_ line, dated or not
            is_mbox = raw.startswith(b"From ")
            if not is_mbox and not HEADER_START.match(raw):
                raise InputError("not a mail", path=source, line=number,
                                 why="no 'From ' separator line and no header")
        if is_mbox and (not lines or _SEPARATOR.match(raw) and not lines[-1].strip()):
            if lines:
                # The blank line before a From_ line belongs to the separator, not the mail.
                yield _mail(source, start, lines[:-1], mboxrd, mbox=True, last=False)
            lines, start = [], number
        lines.append(raw)
    if is_mbox is None:
        raise InputError("no mail in this file", path=source, why="it is empty")
    yield _mail(source, start, lines, mboxrd, mbox=is_mbox, last=True)


def _mail(source: str, at: int, raw: list[bytes], mboxrd: bool, *, mbox: bool,
          last: bool) -> Message:
    """One mail of the file: its raw lines numbered, without the From_ line, un-escaped."""
    notes: list[DecodeNote] = []
    if last and raw and not raw[-1].endswith(b"\n"):
        notes.append(DecodeNote("truncated", "the file ends in the middle of a line",
                                at + len(raw) - 1))
    numbered = list(enumerate(raw, at))
    if mbox:
        numbered = numbered[1:]
    if mboxrd:
        numbered = [(n, line[1:] if _ESCAPED_FROM.match(line) else line) for n, line in numbered]
    return decode(source, at, numbered, notes)
