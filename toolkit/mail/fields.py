"""The header fields of a mail or of one of its MIME parts: read once, unfolded and capped, and
the MIME fields answered as the email package answers them."""

from __future__ import annotations

from toolkit.mail.message import DecodeNote

#: Raw lines (with their line ends) paired with their 1-based line numbers in the mail file.
Numbered = list[tuple[int, bytes]]
#: The longest header value read (a Cc: of a thousand people is 40 KiB); the rest is cut, with
#: a note, so that a header folded over a million lines costs no more than this.
MAX_HEADER = 1 << 16
# A MIME field longer than this is left to the email package (a plain one is a few dozen bytes).
_PLAIN_FIELD = 4096


def read_fields(header_lines: Numbered, notes: list[DecodeNote] | None = None) -> dict[str, bytes]:
    """The first value of each header field by lower-case name, unfolded, as raw bytes, each
    cut to MAX_HEADER (said in `notes`)."""
    fields: dict[str, bytes] = {}
    name, current, size, at = None, [], 0, 0

    def keep() -> None:
        if name is not None and name not in fields:
            fields[name] = _capped(name, b"".join(current), at, notes)

    for number, line in header_lines:
        if line[:1] in (b" ", b"\t"):
            # the pieces are joined once: adding each to the value so far is quadratic
            if name is not None and name not in fields and size <= MAX_HEADER:
                current.append(line.rstrip(b"\r\n"))
                size += len(current[-1])
            continue
        keep()
        field_name, _, value = line.partition(b":")
        name = field_name.strip().decode("ascii", "replace").lower()
        current, at = [value.strip(b" \t\r\n")], number
        size = len(current[0])
    keep()
    return fields


def _capped(name: str, value: bytes, at: int, notes: list[DecodeNote] | None) -> bytes:
    """`value` cut to MAX_HEADER, after its last comma or space there when it has one."""
    if len(value) <= MAX_HEADER:
        return value
    cut = value[:MAX_HEADER]
    end = max(cut.rfind(b","), cut.rfind(b" "))
    if notes is not None:
        notes.append(DecodeNote("truncated", f"the {name.title()}: header is longer than "
                                f"{MAX_HEADER >> 10} KiB; only its first {MAX_HEADER >> 10} KiB "
                                "are read", at))
    return cut[:end] if end > 0 else cut


class Headers:
    """The MIME fields of a mail or of one of its parts (Content-Type, Content-Transfer-Encoding,
    Content-Disposition) with the answers the email package gives for them. The fields nearly
    every patch mail has (`text/plain; charset="utf-8"`, `8bit`) are read here; the email package,
    a sixth of a one-patch check to load, reads only a field with RFC 2231 parameters, escapes,
    quotes or brackets inside a value, or 8-bit bytes."""

    __slots__ = ("_lines", "_fields", "_package")

    def __init__(self, header_lines: Numbered, fields: dict[str, bytes] | None = None) -> None:
        self._lines = header_lines
        self._fields = read_fields(header_lines) if fields is None else fields
        self._package = None

    def _value(self, name: str) -> str | None:
        """The field as plain text, or None when it is absent or the email package must read
        it."""
        value = self._fields.get(name)
        if value is None or not value.isascii() or len(value) > _PLAIN_FIELD:
            return None
        return value.decode("ascii")

    def get_content_type(self) -> str:
        if "content-type" not in self._fields:
            return "text/plain"
        value = self._value("content-type")
        if value is None:
            return self._email().get_content_type()
        kind = value.partition(";")[0].strip().lower()
        return kind if kind.count("/") == 1 else "text/plain"

    def transfer_encoding(self) -> str:
        if "content-transfer-encoding" not in self._fields:
            return "7bit"
        value = self._value("content-transfer-encoding")
        if value is None:
            value = str(self._email().get("content-transfer-encoding", "7bit"))
        return value.strip().lower()

    def param(self, name: str, header: str = "content-type") -> str | None:
        """A parameter of a MIME field, RFC 2231 encoding undone. Not the email package's
        get_filename() or get_content_charset(): they raise ValueError when the RFC 2231 charset
        name has a NUL in it (fuzzed mail has them) or is a codec like punycode, which fails
        whatever the error handler; here such a value is kept as written."""
        if header not in self._fields:
            return None
        value = self._value(header)
        params = _plain_params(value) if value is not None else None
        if params is not None:
            return params.get(name)
        from email.utils import collapse_rfc2231_value

        found = self._email().get_param(name, header=header)
        if found is None:
            return None
        try:
            return collapse_rfc2231_value(found).strip()
        except ValueError:
            return found[2].strip()

    def _email(self):
        """The fields as the email package reads them, each cut to MAX_HEADER as `read_fields` cuts
        it (its parameter parsing is quadratic in a value's length)."""
        if self._package is None:
            from email.parser import BytesHeaderParser
            from email.policy import compat32

            kept, size = [], 0
            for _, line in self._lines:
                size = size + len(line) if line[:1] in (b" ", b"\t") else len(line)
                if size <= MAX_HEADER:
                    kept.append(line)
                elif size - len(line) < MAX_HEADER:     # the line that crosses the cap, cut there
                    kept.append(line[:MAX_HEADER - size + len(line)].rstrip(b"\r\n") + b"\n")
            self._package = BytesHeaderParser(policy=compat32).parsebytes(b"".join(kept) + b"\n")
        return self._package


def _plain_params(value: str) -> dict[str, str] | None:
    """The parameters of a MIME field value (after its first `;`) by lower-case name, the first
    of each name, as the email package reads them; None when a value is not plain: a name with
    `*` (RFC 2231), a quote other than one pair around a whole value, a backslash or angle
    bracket (the package unquotes those more than once), a blank inside a value, or a `=`
    before the first `;`."""
    pieces = value.split(";")
    if "=" in pieces[0] or '"' in pieces[0]:
        return None
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        name, equals, text = piece.partition("=")
        name, text = name.strip().lower(), text.strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        if any(c in name for c in '*"') or any(c in text for c in '"\\<> \t'):
            return None     # (a blank inside a value may be where the field was folded)
        if name not in params:
            params[name] = text.strip() if equals else ""
    return params
