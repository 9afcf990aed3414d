"""One mail's raw lines decoded into a Message: header fields, MIME parts, transfer encodings, charsets.

Every decoded body line keeps the 1-based line of the mail file it came from:

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
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email._parseaddr import AddressList

from toolkit.mail.fields import Headers, Numbered, read_fields
from toolkit.mail.message import DecodeNote, Line, Message, Person
from toolkit.mail.patchid import patch_id

# "Subject: ...", "X-Mailer: ...": the start of a header field (RFC 5322 field name, then a colon).
HEADER_START = re.compile(rb"[!-9;-~]+:")
# Anything but the 64 letters of base64 and its padding: dropped from a malformed part.
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
_PADDING = re.compile(rb"=+")
# "jane@example.org": an address as it stands in "Jane Doe <jane@example.org>" or alone.
_IN_BRACKETS = re.compile(r"[^<>\s@,]+@[^<>\s,]+")
_BARE_ADDRESS = re.compile(r"[^\s,<>@]+@[^\s,<>]+")
_QUOTED_OR_COMMENT = re.compile(r'["()\\;:]')
# A message id inside angle brackets: "<20190507174229.12345-2-sam@example.org>".
_MSGID = re.compile(r"<([^<>\s]+)>")
# Parts of a multipart mail that hold the patch or its description.
_TEXT_TYPES = frozenset({"text/plain", "text/x-patch", "text/x-diff", "text/x-diff-patch"})
#: Header fields kept for who sent a mail for whom: the author a list that rewrote From: names
#: (X-Original-From:, Reply-To:, as Google Groups and B4 Relay write them), the list itself, and
#: the marks a stable queue's scripts put on the patches they post for review.
TRANSPORT_FIELDS = ("x-original-from", "reply-to", "sender", "x-original-sender", "list-id",
                    "x-mailing-list", "x-stable", "x-stable-base", "x-patchwork-hint")
# Fallbacks for text whose declared charset is missing or wrong; latin-1 maps every byte.
_FALLBACK_CHARSETS = ("utf-8", "cp1252", "latin-1")
#: Multipart parts nested deeper than this are not read (with a note); mail clients nest three.
MAX_MIME_DEPTH = 16


@dataclass(frozen=True, slots=True)
class RawMail:
    """One mail cut out of its file, not decoded yet: its raw lines (after the From_ line,
    un-escaped), the first of them at line `first` of `source`, and what cutting it out noted.
    (Lines, not numbered pairs: an archive holds thousands of these while it reads.)"""

    source: str
    at: int
    first: int
    lines: list[bytes]
    notes: list[DecodeNote]
    #: the From_ line the mail was filed under, as text ("From git@z Thu Jan  1 00:00:00 1970")
    stamp: str | None = None

    @property
    def numbered(self) -> Numbered:
        return list(enumerate(self.lines, self.first))

    def decoded(self) -> Message:
        return decode(self.source, self.at, self.numbered, list(self.notes), self.stamp)

    def envelope(self) -> Envelope:
        """The header fields that tie mails together, read without decoding the rest."""
        head = next((k for k, line in enumerate(self.lines) if not line.strip()), len(self.lines))
        numbered = list(enumerate(self.lines[:head + 1], self.first))
        header_lines, _, first_at = _cut_headers(_strip_transport_cr(numbered))
        fields = read_fields(header_lines)
        ignored: list[DecodeNote] = []

        def text(name: str) -> str | None:
            value = fields.get(name)
            return None if value is None else _header_text(value, first_at.get(name), ignored)

        sender = next(iter(_people(text("from"))), None)
        return Envelope(_msgid(text("message-id")), _msgid(text("in-reply-to")),
                        tuple(_MSGID.findall(text("references") or "")), text("subject"),
                        sender.email.lower() if sender else "", text("date"), self.stamp,
                        patch_id(self.lines))


@dataclass(frozen=True, slots=True)
class Envelope:
    """What ties a mail to others: its id, the ids it answers, its subject and its sender."""

    msgid: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str | None
    sender: str
    date: str | None = None
    #: the From_ line the mail was filed under
    stamp: str | None = None
    #: `git patch-id --stable` of the diff in its raw text, as `Message.patch_id`
    patch_id: str | None = None


def decode(source: str, at: int, numbered: Numbered, notes: list[DecodeNote],
           stamp: str | None = None) -> Message:
    """The mail whose raw lines (after its From_ line, un-escaped) are `numbered`; `at` is the
    line of its first line in `source`, `notes` what splitting it off already noted, `stamp`
    its From_ line."""
    # from the raw lines, as the envelope has it: the same id whichever way the mail was read
    change = patch_id(line for _, line in numbered)
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
    fields = read_fields(header_lines, notes)
    headers = Headers(header_lines, fields)

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
        references=refs, body=tuple(lines), notes=tuple(notes), stamp=stamp,
        patch_id=change,
        transport=tuple((name, value) for name in TRANSPORT_FIELDS
                        if (value := text(name)) is not None))


def _strip_transport_cr(numbered: Numbered) -> Numbered:
    """Drop the CR of CRLF line ends when most lines have one (the mail was stored or sent with
    CRLF). A CR on only a few lines is left alone: it is part of the text (a DOS line end in the
    patch), and a CR before a transport CRLF survives as well."""
    crlf = sum(1 for _, line in numbered if line.endswith(b"\r\n"))
    if crlf * 2 <= len(numbered):
        return numbered
    return [(n, line[:-2] + b"\n" if line.endswith(b"\r\n") else line) for n, line in numbered]


def _cut_headers(numbered: Numbered) -> tuple[Numbered, Numbered | None, dict[str, int]]:
    """Split header lines from the body; body is None when no blank line ended the headers.
    Also returns the line of each header field's first occurrence, by lower-case name."""
    first_at: dict[str, int] = {}
    for i, (number, line) in enumerate(numbered):
        if not line.strip():
            return numbered[:i], numbered[i + 1:], first_at
        if line[:1] in (b" ", b"\t") and i > 0:
            continue
        field = HEADER_START.match(line)
        if not field:
            # A header block must end with a blank line; one that runs into text ends there.
            return numbered[:i], numbered[i:], first_at
        first_at.setdefault(field.group()[:-1].decode("ascii").lower(), number)
    return numbered, None, first_at


def _header_text(value: bytes, at: int | None, notes: list[DecodeNote]) -> str:
    """A header value with its RFC 2047 encoded words decoded."""
    if value.isascii():
        text = value.decode("ascii")
    else:
        # 8-bit bytes in a header, where no charset can be declared: read like undeclared text
        text, charset = _decode_guess(value)
        notes.append(DecodeNote("charset", f"8-bit header text read as {charset}", at))
    if "=?" not in text:    # no encoded word (the email package is loaded only for one)
        return text.strip()
    from email.errors import MessageError
    from email.header import decode_header

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
    if not _is_charset(charset):
        notes.append(DecodeNote("charset", f"unknown charset {charset!r} in a header; "
                                "read as latin-1", at))
        return data.decode("latin-1")
    if _decodes(data, charset):
        return data.decode(charset)
    try:
        text = data.decode(charset, "replace")
    except UnicodeError:  # codecs such as punycode fail whatever the error handler
        notes.append(DecodeNote("charset", f"not valid {charset} in a header; read as latin-1",
                                at))
        return data.decode("latin-1")
    notes.append(DecodeNote("replaced", f"bytes not valid in {charset} replaced in a header", at))
    return text


def _people(value: str | None) -> tuple[Person, ...]:
    if not value:
        return ()
    if not _QUOTED_OR_COMMENT.search(value):
        # a list of "Name <address>" and bare addresses, as almost every To: and Cc: is:
        # read directly (getaddresses takes a third of reading a list archive)
        found = _plain_people(value)
        if found and len(found) == value.count("@"):
            return tuple(found)
    try:
        return tuple(Person(name, email) for name, email in AddressList(value).addresslist
                     if email)
    except RecursionError:      # the email package recurses once per nested "(" of a comment
        return ()


def _plain_people(value: str) -> list[Person]:
    """The people of a list of "Name <address>" and bare addresses, split at the commas (a
    pattern run over the whole list backtracks quadratically on a long run without one); a
    piece without an address is passed over, one that is none of the two ends the list."""
    found = []
    for piece in value.split(","):
        piece = piece.strip()
        if "@" not in piece:
            continue
        name, bracket, address = piece[:-1].rpartition("<") if piece.endswith(">") else \
            ("", "", piece)
        if bracket and not any(c in name for c in "<>@") and _IN_BRACKETS.fullmatch(address):
            found.append(Person(" ".join(name.split()), address))
        elif not bracket and _BARE_ADDRESS.fullmatch(address):
            found.append(Person("", address))
        else:
            return found
    return found


def _msgid(value: str | None) -> str | None:
    if not value:
        return None
    found = _MSGID.search(value)
    return found.group(1) if found else value.strip() or None


def _leaf_parts(headers: Headers, body: Numbered, notes: list[DecodeNote], depth: int = 0
                ) -> Iterator[tuple[Headers, Numbered]]:
    """The text parts of a (possibly multipart) mail that hold its description or its patch."""
    kind = headers.get_content_type()
    if depth > MAX_MIME_DEPTH:
        notes.append(DecodeNote("skipped", f"multipart parts nested more than {MAX_MIME_DEPTH} "
                                "deep are not read", body[0][0] if body else None))
        return
    if not kind.startswith("multipart/"):
        name = (headers.param("filename", "content-disposition") or headers.param("name")
                or "").lower()
        if kind in _TEXT_TYPES or name.endswith((".patch", ".diff")):
            yield headers, body
        return
    boundary = headers.param("boundary")
    if not boundary:
        notes.append(DecodeNote("encoding", "multipart mail without a boundary; read as text",
                                body[0][0] if body else None))
        yield headers, body
        return
    boundary = boundary.encode("utf-8", "surrogateescape")
    parts = _cut_multipart(body, boundary, notes)
    if kind == "multipart/signed":
        # The second part is the signature; only the first is the mail.
        parts = parts[:1]
    for part in parts:
        part_lines, part_body, _ = _cut_headers(part)
        part_headers = Headers(part_lines)
        if kind == "multipart/alternative" and part_headers.get_content_type() != "text/plain":
            continue
        yield from _leaf_parts(part_headers, part_body or [], notes, depth + 1)
        if kind == "multipart/alternative":
            return


def _cut_multipart(body: Numbered, boundary: bytes, notes: list[DecodeNote]
                   ) -> list[Numbered]:
    dash = b"--" + boundary
    parts: list[Numbered] = []
    current: Numbered | None = None
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


def _decode_part(headers: Headers, body: Numbered, notes: list[DecodeNote]
                 ) -> list[Line]:
    """Transfer-decode and charset-decode one text part into lines carrying their mail line."""
    if not body:
        return []
    encoding = headers.transfer_encoding()
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


def _plain(body: Numbered) -> tuple[bytes, list[tuple[int, int]]]:
    anchors, offset = [], 0
    for number, line in body:
        anchors.append((offset, number))
        offset += len(line)
    return b"".join(line for _, line in body), anchors


def _unquote(body: Numbered) -> tuple[bytes, list[tuple[int, int]]]:
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


def _unbase64(body: Numbered, notes: list[DecodeNote]
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


def _charset_decode(headers: Headers, pieces: list[tuple[bytes, int]],
                    notes: list[DecodeNote]) -> list[Line]:
    """Decode with the declared charset, else the first of the fallbacks that fits; say so."""
    if not pieces:
        return []
    data = b"\n".join(piece for piece, _ in pieces)
    declared = (headers.param("charset") or "").lower() or None
    if declared and not _is_charset(declared):
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


def _is_charset(name: str) -> bool:
    """Whether Python can decode text in this charset. Names come from the mail: a NUL in one
    makes the lookup raise ValueError, and 'base64' or 'rot13' name codecs that are no charset."""
    try:
        return codecs.lookup(name)._is_text_encoding
    except (LookupError, ValueError):
        return False


def _decodes(data: bytes, charset: str) -> bool:
    try:
        data.decode(charset)
    except UnicodeError:  # UnicodeDecodeError, or the bare UnicodeError of 'punycode', 'idna'
        return False
    return True


def _decode_guess(data: bytes) -> tuple[str, str]:
    for charset in _FALLBACK_CHARSETS:
        if _decodes(data, charset):
            return data.decode(charset), charset
    raise AssertionError("latin-1 decodes every byte")
