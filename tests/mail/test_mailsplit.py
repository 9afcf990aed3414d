"""Mail files cut into mails as `git mailsplit` (and so `git am`) cuts them: real git against the
toolkit, on every mail file of tests/data and on variants of them made here.

Where the toolkit deliberately reads more than git, the case says why: a file that starts with
headers or with text that is no mail is one mail to git (`git am` takes it whole), while the
toolkit also finds list mails filed after it and skips the text; a file whose lines end in CR
alone is one line to git.
"""

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.mail import mbox

DATA = Path(__file__).parents[1] / "data"
MAIL_SUFFIXES = {".mbox", ".eml", ".patch", ".mbx", ".cover"}
FILES = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix in MAIL_SUFFIXES)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not found")


def _lines(data: bytes) -> list[bytes]:
    """The lines of `data` with their ends, cut at LF only (as git and mail files have them)."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _text(lines: list[bytes]) -> bytes:
    """A mail's lines as one comparable text: line ends as LF (git drops the CR of CRLF for
    every line, the toolkit per mail, when it decodes), trailing blank lines (the framing before
    the next From_ line) left off."""
    text = b"".join(line.rstrip(b"\r\n") + b"\n" for line in lines)
    return text.rstrip(b"\n") + b"\n" if text.strip() else b""


def toolkit_split(path: Path) -> list[bytes]:
    return [_text(mail.lines) for mail in mbox.raw_mails(str(path))]


def git_split(path: Path, tmp: Path, mboxrd: bool) -> list[bytes]:
    out = tmp / "split"
    out.mkdir()
    # -b: a file without a From_ line is one mail, as git am has it
    subprocess.run(["git", "mailsplit", "-b", *(["--mboxrd"] if mboxrd else []), f"-o{out}",
                    str(path)], check=True, capture_output=True)
    mails = []
    for part in sorted(out.iterdir()):
        lines = _lines(part.read_bytes())
        if lines and mbox.git_from_line(lines[0]):
            lines = lines[1:]
        mails.append(_text(lines))
    return mails


def is_mboxrd(path: Path) -> bool:
    with open(path, "rb") as stream:
        return mbox._is_mboxrd(stream)


def starts_with_from_line(data: bytes) -> bool:
    first = data.lstrip(b" \t\r\n\v\f").split(b"\n", 1)[0] + b"\n"
    return mbox.git_from_line(first)


def compare(path: Path, tmp: Path) -> None:
    data = path.read_bytes()
    ours = toolkit_split(path)
    if b"\n" not in data[:1 << 16] and b"\r" in data[:1 << 16]:
        return                       # CR-only line ends: one line to git (module docstring)
    theirs = git_split(path, tmp, is_mboxrd(path))
    if not starts_with_from_line(data):
        # one mail to git; the toolkit agrees unless it found list mails after the first one
        # or text before it (the module docstring says why)
        if len(ours) == 1 and not data.lstrip().startswith(b"From "):
            assert ours == [t for t in theirs if t] or ours[0] in theirs[0]
        return
    assert ours == theirs


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_fixture_splits_as_git_does(path, tmp_path):
    compare(path, tmp_path)


def test_the_fixtures_were_found():
    assert len(FILES) > 50


# --- variants ---------------------------------------------------------------------------------------

FROM_FILES = [p for p in FILES if starts_with_from_line(p.read_bytes())]


def _variants(data: bytes, rng: random.Random) -> list[bytes]:
    """Ways real files differ from the fixtures: no blank line before a From_ line, CRLF mails,
    From lines in bodies that git does or does not take for a separator."""
    lines = _lines(data)
    starts = [i for i, line in enumerate(lines) if mbox.git_from_line(line)]
    out = []
    # every blank line before a From_ line dropped (b4's and git's own mbox files)
    out.append(b"".join(line for i, line in enumerate(lines)
                        if not (i + 1 in starts and not line.strip())))
    # one mail stored with CRLF
    if len(starts) > 1:
        a, b = starts[0], starts[1]
        out.append(b"".join(line.replace(b"\n", b"\r\n") if a <= i < b else line
                            for i, line in enumerate(lines)))
    body_lines = [i for i in range(len(lines)) if i not in starts and i > 0]
    for fake in (b"From 9:00 to 17:30 the box ran\n", b"From the start of 2019\n",
                 b"From sam Tue, 7 May 2019 14:00\n", b"From abc Mon Sep 17 00:00:00 1970\n",
                 b"From x 00:00:00 89\n", b"From me@z 1:02:03 +0091\n",
                 b"From 3c1f0e5a9d Mon Sep 17 00:00:00 2001\n"):
        at = rng.choice(body_lines) if body_lines else len(lines)
        out.append(b"".join(lines[:at]) + fake + b"".join(lines[at:]))
    return out


@pytest.mark.parametrize("path", FROM_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_variants_split_as_git_does(path, tmp_path):
    rng = random.Random(path.name)
    for k, variant in enumerate(_variants(path.read_bytes(), rng)):
        case = tmp_path / f"v{k}"
        case.mkdir()
        file = case / path.name
        file.write_bytes(variant)
        compare(file, case)


@pytest.mark.parametrize("line, git", [
    (b"From 3c1f0e5a9d Mon Sep 17 00:00:00 2001\n", True),
    (b"From git@z Thu Jan  1 00:00:00 1970\n", True),
    (b"From mboxrd@z Thu Jan  1 00:00:00 1970\n", True),
    (b"From - Tue May 07 14:00:00 +0200 2019\n", True),     # strtol reads "+0200"
    (b"From sam Tue, 7 May 2019 14:00\n", False),           # no seconds
    (b"From x 00:00:00 89\n", False),                       # a year of 90 or less
    (b"From 9:00 to 17:30 the box\n", False),
    (b"From a 1:02:03 -2019\n", False),                      # a negative year
    (b"From a 1:02:03 000000000000000000000000091\n", True),
])
def test_git_from_line(line, git):
    assert mbox.git_from_line(line) is git
