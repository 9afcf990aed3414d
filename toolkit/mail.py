"""Decoded messages, streamed one at a time from any file a reviewer saves mail in.

Accepted: an mbox (mboxo or mboxrd), a single mail (`.eml`, `.patch`), a directory of
`git format-patch` files, `-` for stdin, and a gzip of any of these. Each `Message` carries the
1-based line of the mail file every body line came from:

- 7bit/8bit bodies map line for line, exactly;
- quoted-printable maps a decoded line to the raw line it starts on (soft breaks join raw lines);
- base64 maps a decoded line to the raw line holding its first byte. Encoders wrap base64 at a
  multiple of four characters, so each raw line decodes on its own and the line is exact to the
  encoded line; when a part is not wrapped that way it is decoded whole and every line names the
  first line of the part, which is approximate but still a line the reviewer can open.
"""

from __future__ import annotations

import binascii
import bisect
import codecs
import gzip
import os
import re
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.errors import MessageError
from email.header import decode_header
from email.message import Message as _Headers
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value, getaddresses
from typing import BinaryIO

from toolkit.errors import InputError
from toolkit.series import DecodeNote, Line, Person

# "From 3c1f0e5a9d Mon Sep 17 00:00:00 2001", "From mboxrd@z Thu Jan  1 00:00:00 1970": after the
# first mail, a separator follows a blank line and carries a time of day, so that a body line
# merely starting with "From " does not split a mail.
_SEPARATOR = re.compile(rb"From \S*\s.*\b\d{1,2}:\d\d(:\d\d)?\b")
# ">From the start", ">>From here": lines an mbox writer escaped.
_ESCAPED_FROM = re.compile(rb">+From ")
# "Subject: ...", "X-Mailer: ...": the start of a header field (RFC 5322 field name, then a colon).
_HEADER_START = re.compile(rb"[!-9;-~]+:")
# Anything but the 64 letters of base64 and its padding: dropped from a malformed part.
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_PADDING = re.compile(rb"=+")
# A message id inside angle brackets: "<20190507174229.12345-2-sam@example.org>".
_MSGID = re.compile(r"<([^<>\s]+)>")

# File names taken from a directory (git format-patch writes 0001-subject.patch).
_MAIL_SUFFIXES = (".patch", ".diff", ".eml", ".mbox", ".mbx")
# Parts of a multipart mail that hold the patch or its description.
_TEXT_TYPES = frozenset({"text/plain", "text/x-patch", "text/x-diff", "text/x-diff-patch"})
_GZIP_MAGIC = b"\x1f\x8b"
# Raw lines (with their line ends) paired with their 1-based line numbers in the mail file.
_Numbered = list[tuple[int, bytes]]
# Fallbacks for text whose declared charset is missing or wrong; latin-1 maps every byte.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")


@dataclass(frozen=True, slots=True)
class Message:
    """One mail as decoded text; `at` is the line of its first line (the From_ line) in `source`."""

    source: str
    at: int
    subject: str | None
    subject_at: int | None
    sender: Person | None
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    date: str | None
    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    body: tuple[Line, ...]
    notes: tuple[DecodeNote, ...]


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
            if not is_mbox and not _HEADER_START.match(raw):
                raise InputError("not a mail", path=source, line=number,
                                 why="no 'From ' separator line and no header")
        if is_mbox and (not lines or _SEPARATOR.match(raw) and not lines[-1].strip()):
            if lines:
                # The blank line before a From_ line belongs to the separator, not the mail.
                yield _message(source, start, lines[:-1], mboxrd, mbox=True, last=False)
            lines, start = [], number
        lines.append(raw)
    if is_mbox is None:
        raise InputError("no mail in this file", path=source, why="it is empty")
    yield _message(source, start, lines, mboxrd, mbox=is_mbox, last=True)


def _message(source: str, at: int, raw: list[bytes], mboxrd: bool, *, mbox: bool,
             last: bool) -> Message:
    notes: list[DecodeNote] = []
    if last and raw and not raw[-1].endswith(b"\n"):
        notes.append(DecodeNote("truncated", "the file ends in the middle of a line",
                                at + len(raw) - 1))
    numbered = list(enumerate(raw, at))
    if mbox:
        numbered = numbered[1:]
    if mboxrd:
        numbered = [(n, line[1:] if _ESCAPED_FROM.match(line) else line) for n, line in numbered]
    numbered = _strip_transport_cr(numbered)

    header_lines, body, first_at = _cut_headers(numbered)
    if not header_lines:
        notes.append(DecodeNote("headers", "a mail without headers; read as body text only",
                                numbered[0][0] if numbered else at))
    elif body is None:
        notes.append(DecodeNote("truncated", "the mail ends inside its headers",
                                header_lines[-1][0]))
    elif len(header_lines) + len(body) == len(numbered):
        # no blank line was consumed: a line that is no header ended the header block
        notes.append(DecodeNote("headers", "the headers end without a blank line; what "
                                "follows is read as the body", body[0][0]))
    headers = BytesHeaderParser(policy=compat32).parsebytes(
        b"".join(line for _, line in header_lines) + b"\n")
    fields = _fields(header_lines)

    def text(name: str) -> str | None:
        value = fields.get(name)
        return None if value is None else _header_text(value, first_at.get(name), notes)

    lines: list[Line] = []
    for part_headers, part_body in _leaf_parts(headers, body or [], notes):
        lines.extend(_decode_part(part_headers, part_body, notes))
    if not lines and any(line.strip() for _, line in body or []):
        notes.append(DecodeNote("encoding", f"no text or patch part in this "
                                f"{headers.get_content_type()} mail; nothing of it was read",
                                body[0][0]))

    refs = tuple(_MSGID.findall(text("references") or ""))
    return Message(
        source=source, at=at,
        subject=text("subject"), subject_at=first_at.get("subject"),
        sender=next(iter(_people(text("from"))), None),
        to=_people(text("to")), cc=_people(text("cc")),
        date=text("date"),
        msgid=_msgid(text("message-id")), in_reply_to=_msgid(text("in-reply-to")),
        references=refs, body=tuple(lines), notes=tuple(notes))


def _strip_transport_cr(numbered: _Numbered) -> _Numbered:
    """Drop the CR of CRLF line ends when most lines have one (the mail was stored or sent with
    CRLF). A CR on only a few lines is left alone: it is part of the text (a DOS line end in the
    patch), and a CR before a transport CRLF survives as well."""
    crlf = sum(1 for _, line in numbered if line.endswith(b"\r\n"))
    if crlf * 2 <= len(numbered):
        return numbered
    return [(n, line[:-2] + b"\n" if line.endswith(b"\r\n") else line) for n, line in numbered]


def _cut_headers(numbered: _Numbered) -> tuple[_Numbered, _Numbered | None, dict[str, int]]:
    """Split header lines from the body; body is None when no blank line ended the headers.
    Also returns the line of each header field's first occurrence, by lower-case name."""
    first_at: dict[str, int] = {}
    for i, (number, line) in enumerate(numbered):
        if not line.strip():
            return numbered[:i], numbered[i + 1:], first_at
        if line[:1] in (b" ", b"\t") and i > 0:
            continue
        field = _HEADER_START.match(line)
        if not field:
            # A header block must end with a blank line; one that runs into text ends there.
            return numbered[:i], numbered[i:], first_at
        first_at.setdefault(field.group()[:-1].decode("ascii").lower(), number)
    return numbered, None, first_at


def _fields(header_lines: _Numbered) -> dict[str, bytes]:
    """The first value of each header field by lower-case name, unfolded, as raw bytes."""
    fields: dict[str, bytes] = {}
    name = None
    for _, line in header_lines:
        if line[:1] in (b" ", b"\t"):
            if name is not None and name not in fields:
                current += line.rstrip(b"\r\n")
            continue
        if name is not None:
            fields.setdefault(name, current)
        field_name, _, value = line.partition(b":")
        name = field_name.strip().decode("ascii", "replace").lower()
        current = value.strip(b" \t\r\n")
    if name is not None:
        fields.setdefault(name, current)
    return fields


def _header_text(value: bytes, at: int | None, notes: list[DecodeNote]) -> str:
    """A header value with its RFC 2047 encoded words decoded."""
    if value.isascii():
        text = value.decode("ascii")
    else:
        # 8-bit bytes in a header, where no charset can be declared: read like undeclared text
        text, charset = _decode_guess(value)
        notes.append(DecodeNote("charset", f"8-bit header text read as {charset}", at))
    try:
        parts = decode_header(text)
    except (ValueError, MessageError) as error:  # e.g. broken base64 in an encoded word
        notes.append(DecodeNote("encoding", f"header kept as written: {error}", at))
        return text.strip()
    decoded = []
    for data, charset in parts:
        if isinstance(data, str):
            decoded.append(data)
        elif charset is None:
            # text between encoded words, which decode_header hands back in this codec
            decoded.append(data.decode("raw-unicode-escape"))
        else:
            decoded.append(_decode_word(data, charset, at, notes))
    return "".join(decoded).strip()


def _decode_word(data: bytes, charset: str, at: int | None, notes: list[DecodeNote]) -> str:
    try:
        return data.decode(charset)
    except LookupError:
        notes.append(DecodeNote("charset", f"unknown charset {charset!r} in a header; "
                                "read as latin-1", at))
        return data.decode("latin-1")
    except UnicodeDecodeError:
        notes.append(DecodeNote("replaced", f"bytes not valid in {charset} replaced in a header",
                                at))
        return data.decode(charset, "replace")


def _people(value: str | None) -> tuple[Person, ...]:
    if not value:
        return ()
    return tuple(Person(name, email) for name, email in getaddresses([value]) if email)


def _msgid(value: str | None) -> str | None:
    if not value:
        return None
    found = _MSGID.search(value)
    return found.group(1) if found else value.strip() or None


def _leaf_parts(headers: _Headers, body: _Numbered, notes: list[DecodeNote]
                ) -> Iterator[tuple[_Headers, _Numbered]]:
    """The text parts of a (possibly multipart) mail that hold its description or its patch."""
    kind = headers.get_content_type()
    if not kind.startswith("multipart/"):
        name = (headers.get_filename() or "").lower()
        if kind in _TEXT_TYPES or name.endswith((".patch", ".diff")):
            yield headers, body
        return
    boundary = headers.get_param("boundary")
    if not boundary:
        notes.append(DecodeNote("encoding", "multipart mail without a boundary; read as text",
                                body[0][0] if body else None))
        yield headers, body
        return
    boundary = collapse_rfc2231_value(boundary).encode("utf-8", "surrogateescape")
    parts = _cut_multipart(body, boundary, notes)
    if kind == "multipart/signed":
        # The second part is the signature; only the first is the mail.
        parts = parts[:1]
    for part in parts:
        part_lines, part_body, _ = _cut_headers(part)
        part_headers = BytesHeaderParser(policy=compat32).parsebytes(
            b"".join(line for _, line in part_lines) + b"\n")
        if kind == "multipart/alternative" and part_headers.get_content_type() != "text/plain":
            continue
        yield from _leaf_parts(part_headers, part_body or [], notes)
        if kind == "multipart/alternative":
            return


def _cut_multipart(body: _Numbered, boundary: bytes, notes: list[DecodeNote]
                   ) -> list[_Numbered]:
    dash = b"--" + boundary
    parts: list[_Numbered] = []
    current: _Numbered | None = None
    for number, line in body:
        stripped = line.rstrip()
        if stripped == dash + b"--":
            if current is not None:
                parts.append(current)
            return parts
        if stripped == dash:
            if current is not None:
                parts.append(current)
            current = []
        elif current is not None:
            current.append((number, line))
    if current is not None:
        parts.append(current)
    notes.append(DecodeNote("truncated", "multipart mail without its closing boundary",
                            body[-1][0] if body else None))
    return parts


def _decode_part(headers: _Headers, body: _Numbered, notes: list[DecodeNote]
                 ) -> list[Line]:
    """Transfer-decode and charset-decode one text part into lines carrying their mail line."""
    if not body:
        return []
    encoding = str(headers.get("content-transfer-encoding", "7bit")).strip().lower()
    if encoding == "quoted-printable":
        data, anchors = _unquote(body)
    elif encoding == "base64":
        data, anchors = _unbase64(body, notes)
    else:
        if encoding not in ("7bit", "8bit", "binary"):
            notes.append(DecodeNote("encoding",
                                    f"unknown transfer encoding {encoding!r}; read as 8bit",
                                    body[0][0]))
        data, anchors = _plain(body)
    pieces = _lines_at(data, anchors)
    if encoding in ("quoted-printable", "base64"):
        # The encoded text carries its own line ends, often MIME's canonical CRLF.
        if sum(1 for piece, _ in pieces if piece.endswith(b"\r")) * 2 > len(pieces):
            pieces = [(p[:-1] if p.endswith(b"\r") else p, at) for p, at in pieces]
    return _charset_decode(headers, pieces, notes)


def _lines_at(data: bytes, anchors: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
    """Split decoded bytes into lines (without LF), each with the mail line its first byte came
    from: the last anchor (offset, line) at or before the start of the line."""
    if not data:
        return []
    offsets = [offset for offset, _ in anchors]
    pieces, position = [], 0
    for piece in data.split(b"\n"):
        pieces.append((piece, anchors[max(bisect.bisect_right(offsets, position) - 1, 0)][1]))
        position += len(piece) + 1
    if pieces and pieces[-1][0] == b"":
        pieces.pop()
    return pieces


def _plain(body: _Numbered) -> tuple[bytes, list[tuple[int, int]]]:
    anchors, offset = [], 0
    for number, line in body:
        anchors.append((offset, number))
        offset += len(line)
    return b"".join(line for _, line in body), anchors


def _unquote(body: _Numbered) -> tuple[bytes, list[tuple[int, int]]]:
    chunks, anchors, offset = [], [], 0
    for number, line in body:
        text = line.rstrip(b"\r\n")
        stripped = text.rstrip(b" \t")
        if stripped.endswith(b"="):
            chunk = binascii.a2b_qp(stripped[:-1])
        else:
            chunk = binascii.a2b_qp(text) + b"\n"
        anchors.append((offset, number))
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks), anchors


def _unbase64(body: _Numbered, notes: list[DecodeNote]
              ) -> tuple[bytes, list[tuple[int, int]]]:
    encoded = [(number, line.strip()) for number, line in body if line.strip()]
    if not encoded:
        return b"", []
    if all(len(line) % 4 == 0 for _, line in encoded):
        try:
            chunks = [(number, binascii.a2b_base64(line, strict_mode=True))
                      for number, line in encoded]
        except binascii.Error:
            pass
        else:
            anchors, offset = [], 0
            for number, chunk in chunks:
                anchors.append((offset, number))
                offset += len(chunk)
            return b"".join(chunk for _, chunk in chunks), anchors
    joined = b"".join(line for _, line in encoded)
    first = encoded[0][0]
    try:
        data = binascii.a2b_base64(joined, strict_mode=True)
    except binascii.Error:
        # Keep what decodes: drop characters outside the alphabet, decode each run ended by
        # padding on its own (glued chunks), drop a lone last character (it carries no whole
        # byte) and pad the rest.
        data = b""
        for run in _PADDING.split(_NOT_BASE64.sub(b"", joined)):
            run = run[:len(run) - 1] if len(run) % 4 == 1 else run
            data += binascii.a2b_base64(run + b"=" * (-len(run) % 4))
        notes.append(DecodeNote("encoding", "malformed base64 (stray characters, bad length or "
                                "padding); some bytes may be lost", encoded[-1][0]))
    else:
        notes.append(DecodeNote("encoding", "base64 not wrapped in whole groups; its lines "
                                "are placed at the start of the part", first))
    return data, [(0, first)]


def _charset_decode(headers: _Headers, pieces: list[tuple[bytes, int]],
                    notes: list[DecodeNote]) -> list[Line]:
    """Decode with the declared charset, else the first of the fallbacks that fits; say so."""
    if not pieces:
        return []
    data = b"\n".join(piece for piece, _ in pieces)
    declared = headers.get_content_charset()
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            notes.append(DecodeNote("charset", f"unknown charset {declared!r}", pieces[0][1]))
            declared = None
    charset = None
    if declared:
        # Line by line, as the lines are decoded below: in a charset of 16-bit units (utf-16)
        # the whole text can decode where its lines, cut at each 0x0a byte, do not.
        if all(_decodes(piece, declared) for piece, _ in pieces):
            charset = declared
    elif data.isascii():
        charset = "ascii"
    if charset is None:
        _, charset = _decode_guess(data)
        at = next(at for piece, at in pieces if not _decodes(piece, declared or "ascii"))
        said = f"not valid {declared}" if declared else "8-bit text without a declared charset"
        notes.append(DecodeNote("charset", f"{said}; read as {charset}", at))
    return [Line(piece.decode(charset), at) for piece, at in pieces]


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


def _decode_guess(data: bytes) -> tuple[str, str]:
    for charset in _FALLBACK_CHARSETS:
        if _decodes(data, charset):
            return data.decode(charset), charset
    raise AssertionError("latin-1 decodes every byte")
