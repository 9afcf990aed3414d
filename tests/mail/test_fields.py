"""The MIME fields read without the email package give the email package's answers: on field
values written to probe each way of quoting, and on every mail of the test data."""

from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value
from pathlib import Path

import pytest

from toolkit.mail.fields import Headers
from toolkit.mail.mbox import raw_mails
from toolkit.mail.mime import _cut_headers, _cut_multipart

DATA = Path(__file__).parents[1] / "data"
ASKED = (("charset", "content-type"), ("boundary", "content-type"), ("name", "content-type"),
         ("filename", "content-disposition"))


def _package(lines: list[bytes]):
    """The answers of the email package itself for these header lines."""
    fields = BytesHeaderParser(policy=compat32).parsebytes(b"".join(lines) + b"\n")
    params = {}
    for name, header in ASKED:
        value = fields.get_param(name, header=header)
        if value is not None:
            try:
                value = collapse_rfc2231_value(value).strip()
            except ValueError:
                value = value[2].strip()
        params[name, header] = value
    encoding = str(fields.get("content-transfer-encoding", "7bit")).strip().lower()
    return fields.get_content_type(), encoding, params


def _ours(lines: list[bytes]):
    headers = Headers(list(enumerate(lines, 1)))
    return (headers.get_content_type(), headers.transfer_encoding(),
            {(name, header): headers.param(name, header) for name, header in ASKED})


FIELDS = [
    b"Content-Type: text/plain; charset=utf-8\n",
    b'Content-Type: text/plain; charset="UTF-8"; format=flowed\n',
    b"Content-Type: TEXT/X-Patch; name=fix.patch\n",
    b"Content-Type: text/plain;\n\tcharset=us-ascii\n",
    b'Content-Type: multipart/mixed; boundary="==-- part --=="\n',
    b"Content-Type: multipart/mixed; boundary=abc; boundary=def\n",
    b"Content-Type: text/plain;\n",
    b"Content-Type: text/plain; ; charset=latin1\n",
    b"Content-Type:\n",
    b"Content-Type: text\n",
    b"Content-Type: text/plain/extra; charset=utf-8\n",
    b"Content-Type: charset=utf-8\n",
    b"Content-Type: text/plain; CHARSET = iso-8859-1 \n",
    b"Content-Type: text/plain; flowed; charset=koi8-r\n",
    # what the email package unquotes more than once, or joins across pieces: left to it
    b'Content-Type: text/plain; charset="<utf-8>"\n',
    b"Content-Type: text/plain; charset=<utf-8>\n",
    b'Content-Type: multipart/mixed; boundary="a;b"\n',
    b'Content-Type: text/plain; name="a \\"quoted\\" name.patch"\n',
    b"Content-Type: text/plain; name*=utf-8''fix%20it.patch\n",
    b"Content-Type: text/plain; name*0=fix; name*1=.patch\n",
    b'Content-Type: text/plain; charset="utf-8\n',
    b'Content-Type: image/png;\n\tname="a picture with\n\ta long name.png"\n',
    b"Content-Type: text/plain; charset=\xe9t\xe9\n",
    b"Content-Disposition: attachment; filename=\"0001-x86-fix.patch\"\n",
    b"Content-Disposition: inline\n",
    b"Content-Disposition: attachment; filename*=iso-8859-1'en'%E9.diff\n",
    b"Content-Transfer-Encoding: Base64 \n",
    b"Content-Transfer-Encoding:\n quoted-printable\n",
    b"Content-Transfer-Encoding: 8bit\nContent-Transfer-Encoding: base64\n",
]


@pytest.mark.parametrize("field", FIELDS)
def test_a_field_reads_as_the_email_package_reads_it(field):
    lines = field.splitlines(keepends=True)
    assert _ours(lines) == _package(lines)


def _header_blocks(numbered):
    """The header lines of a mail and of each part of a multipart one."""
    header_lines, body, _ = _cut_headers(numbered)
    yield [line for _, line in header_lines]
    boundary = Headers(header_lines).param("boundary", "content-type")
    if boundary and body:
        for part in _cut_multipart(body, boundary.encode("utf-8", "surrogateescape"), []):
            yield from _header_blocks(part)


def test_every_mail_of_the_test_data_reads_as_the_email_package_reads_it():
    compared = 0
    for path in sorted(DATA.rglob("*")):
        if path.suffix not in (".mbox", ".eml", ".mbx", ".patch") or not path.is_file():
            continue
        for raw in raw_mails(str(path)):
            for lines in _header_blocks(raw.numbered):
                assert _ours(lines) == _package(lines), f"{path}:{raw.first}"
                compared += 1
    assert compared > 250
