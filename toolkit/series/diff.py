"""The diff of a patch mail parsed by unidiff into files, hunks and lines that keep their mail line.

Each file of the diff is parsed on its own, so that one unidiff cannot read costs only itself; what
is not understood becomes a DecodeNote at the line where it starts, never a silent loss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from toolkit.mail.message import DecodeNote, Line

# "diff --git a/x b/x", "diff --cc x", "Index: x": the first line of one file's diff.
_FILE_START = re.compile(r"(diff --git |diff --cc |diff --combined |diff -|Index: )")


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a hunk: `kind` is '+', '-' or ' '; `old_line`/`new_line` are the pre-/post-image
    line numbers in the source file (None on the side the line is not in)."""

    kind: str
    text: str
    old_line: int | None
    new_line: int | None
    at: int | None

    def __str__(self) -> str:
        return f"{self.kind}{self.text}\n"


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str
    lines: tuple[DiffLine, ...]
    at: int | None

    def __str__(self) -> str:
        section = f" {self.section}" if self.section else ""
        head = f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{section}\n"
        return head + "".join(map(str, self.lines))


@dataclass(frozen=True, slots=True)
class FileDiff:
    """The change to one file; a path is None on the /dev/null side of a creation or deletion."""

    old_path: str | None
    new_path: str | None
    hunks: tuple[Hunk, ...]
    at: int | None
    binary: bool = False
    rename: bool = False

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "+")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for ln in h.lines if ln.kind == "-")

    def __str__(self) -> str:
        """The file's diff as `git apply` reads it, printed back from the parsed hunks."""
        old = f"a/{self.old_path}" if self.old_path else "/dev/null"
        new = f"b/{self.new_path}" if self.new_path else "/dev/null"
        out = [f"diff --git a/{self.old_path or self.new_path} b/{self.new_path or self.old_path}\n"]
        if self.old_path is None:
            out.append("new file mode 100644\n")
        elif self.new_path is None:
            out.append("deleted file mode 100644\n")
        out += [f"--- {old}\n", f"+++ {new}\n", *map(str, self.hunks)]
        return "".join(out)


def diff_start(lines: list[Line] | tuple[Line, ...], start: int) -> int:
    """Index of the first line of the diff in lines[start:] (len(lines) when there is none); a
    diff without `diff` lines starts at a '--- ' line followed by a '+++ ' line."""
    for k in range(start, len(lines)):
        text = lines[k].text
        if _FILE_START.match(text):
            return k
        if text.startswith("--- ") and k + 1 < len(lines) and lines[k + 1].text.startswith("+++ "):
            return k
    return len(lines)


def parse_diff(lines: list[Line]) -> tuple[tuple[FileDiff, ...], tuple[DecodeNote, ...]]:
    """The files changed by a diff that starts at lines[0] (lines after it, such as a mail
    signature, are ignored: hunks end by their line counts)."""
    if not lines:
        return (), ()
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    starts = [k for k, line in enumerate(lines) if _FILE_START.match(line.text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    files: list[FileDiff] = []
    notes: list[DecodeNote] = []
    for begin, stop in zip(starts, [*starts[1:], len(lines)]):
        try:
            parsed = PatchSet("".join(line.text + "\n" for line in lines[begin:stop]))
        except UnidiffParseError as error:
            kind = "truncated" if "shorter" in str(error) else "diff"
            notes.append(DecodeNote(kind, f"diff not understood: {error}", lines[begin].at))
            continue
        headers_read = set()
        for patched in parsed:
            hunks = []
            for hunk in patched:
                if not len(hunk):
                    continue  # a hunk of no lines changes nothing; it is noted as not read
                # unidiff numbers the lines of its input from 1; the hunk header precedes them
                header = begin + hunk[0].diff_line_no - 2
                headers_read.add(header)
                body = tuple(DiffLine(line.line_type, line.value.removesuffix("\n"),
                                      line.source_line_no, line.target_line_no,
                                      lines[begin + line.diff_line_no - 1].at)
                             for line in hunk if line.line_type in ("+", "-", " "))
                hunks.append(Hunk(hunk.source_start, hunk.source_length, hunk.target_start,
                                  hunk.target_length, hunk.section_header, body,
                                  lines[header].at))
            files.append(FileDiff(_path(patched.source_file, "a/"),
                                  _path(patched.target_file, "b/"), tuple(hunks),
                                  lines[begin].at, binary=patched.is_binary_file,
                                  rename=patched.is_rename))
        skipped = [k for k in range(begin, stop)
                   if lines[k].text.startswith("@@") and k not in headers_read]
        if skipped:
            # unidiff passes over what it does not know, e.g. a combined diff's "@@@" header
            notes.append(DecodeNote("diff", "hunk not understood: " + lines[skipped[0]].text,
                                    lines[skipped[0]].at))
    return tuple(files), tuple(notes)


def _path(path: str | None, side: str) -> str | None:
    if not path or path == "/dev/null":
        return None
    return path.removeprefix(side)
