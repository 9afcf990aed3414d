"""The patch id of the diff in a mail's text, as `git patch-id --stable` computes it: which patches are the same change.

b4 matches the revisions of a series by it. A diff's id does not change when the diff moves,
when line numbers, whitespace or `index` lines change, or when its files come in another order:
the SHA-1 of each file's diff with all blanks taken out, and the ids of the files summed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

try:    # the interpreter's own SHA-1: hashlib loads OpenSSL, a thirtieth of a one-patch check
    from _sha1 import sha1
except ImportError:     # a Python built without its own hashes
    from hashlib import sha1

# The blanks git's patch-id takes out of every line (its isspace: no vertical tab or form feed).
_BLANKS = b" \t\n\r"
_SHA1_BITS = 160
_HUNK = re.compile(rb"@@ -(?P<old>\d+)(?:,(?P<old_count>\d+))? \+(?P<new>\d+)(?:,(?P<new_count>\d*))?")
# "commit <id>", "From <id> Mon Sep 17 ...": where git starts the next patch of its input.
_NEXT_PATCH = re.compile(rb"(?:diff-tree |commit |From )[0-9a-f]{40}")


def patch_id(lines: Iterable[bytes]) -> str | None:
    """The stable patch id of the first diff in `lines` (raw lines with their line ends), in
    hex; None when no `diff ` line starts one. Like git, it reads the diff's text up to where a
    hunk's counts end and no `@@` or `diff ` line follows (a mail's signature)."""
    total = 0
    file_hash = None
    before = after = -1     # lines of the hunk still to come; -1: in a file's header
    binary = False          # in a binary file's data, which only its blob ids stand for
    blobs = b""             # the blob ids of the file's index line, old then new
    for line in lines:
        if line.startswith(b"\\ ") and len(line) > 12:
            continue        # "\ No newline at end of file"
        if file_hash is not None and _NEXT_PATCH.match(line):
            break
        if file_hash is None:
            if not line.startswith(b"diff "):
                continue    # the commit message before the diff
            file_hash = sha1()
        if before == -1:
            if line.startswith((b"GIT binary patch", b"Binary files")):
                file_hash.update(blobs)
                total += _sum(file_hash)
                file_hash = sha1()
                binary, before = True, 0
                continue
            if line.startswith(b"index "):
                blobs = _blob_ids(line)
                continue
            if line.startswith(b"--- "):
                before = after = 1      # counts that the +++ line brings to 0
            elif not line[:1].isalpha():
                break
        if binary:
            if line.startswith(b"diff "):   # the next file's header line, left out as git does
                binary, before = False, -1
            continue
        if before == 0 and after == 0:
            if line.startswith(b"@@ -"):
                before, after = _hunk_counts(line)
                continue
            if not line.startswith(b"diff "):
                break       # the end of the diff
            total += _sum(file_hash)
            file_hash = sha1()
            before = after = -1
        if line[:1] in (b"-", b" "):
            before -= 1
        if line[:1] in (b"+", b" "):
            after -= 1
        file_hash.update(line.translate(None, _BLANKS))
    if file_hash is None:
        return None
    total += _sum(file_hash)
    return (total % (1 << _SHA1_BITS)).to_bytes(_SHA1_BITS // 8, "little").hex()


def _sum(file_hash) -> int:
    """A file's hash as the number git adds up (its bytes, the first the lowest)."""
    return int.from_bytes(file_hash.digest(), "little")


def _blob_ids(line: bytes) -> bytes:
    """"index 0123abc..4567def 100644" -> b"0123abc4567def", as git cuts it (without a mode, the
    line's last byte, its line end, is dropped)."""
    dots = line.find(b"..")
    if dots < 0:
        return b""
    end = line.find(b" ", dots)
    return line[6:dots] + line[dots + 2:end if end >= 0 else len(line) - 1]


def _hunk_counts(header: bytes) -> tuple[int, int]:
    """The old and new counts git reads from "@@ -a,b +c,d @@": with a count left out, git takes
    the start line in its place (so for "@@ -12 +12 @@" it reads on past the hunk's one line);
    (0, 0) for a header git cannot read, which then ends the diff at its next line."""
    found = _HUNK.match(header)
    if found is None or found["new_count"] == b"":
        return 0, 0
    old = found["old_count"] if found["old_count"] is not None else found["old"]
    new = found["new_count"] if found["new_count"] is not None else found["new"]
    return int(old), int(new)
