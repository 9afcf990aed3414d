"""Hostile mail, made on the spot at any size: the reproducers of bombs that once hung, crashed or
exhausted `toolkit check`, each with what the check must end in.

tests/test_hostile_mail.py runs every case at a small size in the suite (a finding or a clean exit,
never a traceback); bench/bench_hostile.py runs them at full size, where each must end within
10 s and 256 MiB. A case is `make(folder, size) -> (arguments of toolkit check, feed)`: `feed`,
when not None, is bytes a writer sends into the FIFO or standard input the arguments name.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SERIES = Path(__file__).parent / "data" / "hostile" / "series.mbox"


def mail(subject: str = "[PATCH] x86: Say where the gap is", body: str | None = None, *,
         headers: str = "", msgid: str = "hostile-1@example.org") -> str:
    """One patch mail as git format-patch writes it, with a small diff unless `body` is given."""
    if body is None:
        body = ("The comment says where the room comes from.\n\n"
                "Signed-off-by: Ines Marchetti <ines@example.org>\n---\n"
                " arch/x86/kernel/alt.c | 1 +\n 1 file changed, 1 insertion(+)\n\n"
                "diff --git a/arch/x86/kernel/alt.c b/arch/x86/kernel/alt.c\n"
                "--- a/arch/x86/kernel/alt.c\n+++ b/arch/x86/kernel/alt.c\n"
                "@@ -1,2 +1,3 @@\n int a;\n+/* room */\n int b;\n-- \n2.40.0\n")
    return ("From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
            f"From: Ines Marchetti <ines@example.org>\nDate: Mon, 3 Jun 2024 09:00:00 +0200\n"
            f"Message-Id: <{msgid}>\nSubject: {subject}\n{headers}\n{body}")


def _hunk(lines: int) -> str:
    return ("Grow the table.\n\nSigned-off-by: Ines Marchetti <ines@example.org>\n---\n"
            "diff --git a/arch/x86/kernel/table.c b/arch/x86/kernel/table.c\n"
            "--- a/arch/x86/kernel/table.c\n+++ b/arch/x86/kernel/table.c\n"
            f"@@ -1,1 +1,{lines + 1} @@\n int a;\n" + "+1,\n" * lines)


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _zeros_gz(path: Path, size: int, before: bytes = b"", fill: bytes = b"\0") -> Path:
    """A gzip of `before` and then `size` bytes of `fill` (zeros: no line end), in pieces."""
    piece = fill * (1 << 20)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(before)
        for _ in range(size >> 20):
            out.write(piece)
        out.write(fill * (size & ((1 << 20) - 1)))
    return path


def _nested(depth: int) -> str:
    opening = "".join(f'Content-Type: multipart/mixed; boundary="b{k}"\n\n--b{k}\n'
                      for k in range(depth))
    closing = "".join(f"\n--b{k}--\n" for k in reversed(range(depth)))
    return mail(headers="MIME-Version: 1.0\n" + opening.split("\n\n", 1)[0] + "\n",
                body=opening.split("\n\n", 1)[1] + "Content-Type: text/plain\n\ntext\n" + closing)


def _qp(breaks: int) -> str:
    return mail(headers="MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                        "Content-Transfer-Encoding: quoted-printable\n",
                body="Signed-off-by: Ines Marchetti <ines@example.org>\n" + "x=\n" * breaks
                + "\n")


def _bomb_series(levels: int) -> str:
    """The call-emulation series with `levels` doubling constant #defines used in a helper: the
    header model's evaluator must not expand them, and the compiler hits its limit."""
    text = SERIES.read_text()
    defines = "".join(f"+#define TOOLKIT_X{k} (TOOLKIT_X{k - 1} + TOOLKIT_X{k - 1})\n"
                      for k in range(1, levels + 1))
    text = text.replace("@@ -30,4 +30,26 @@", f"@@ -30,4 +30,{27 + levels} @@")
    text = text.replace("+#define CALL_INSN_SIZE 5\n",
                        "+#define CALL_INSN_SIZE 5\n+#define TOOLKIT_X0 1\n" + defines)
    # the header model writes back the macros a helper names, not those they use: name them all
    every = " + ".join(f"TOOLKIT_X{k}" for k in range(levels, -1, -1))
    return text.replace("+\t*(unsigned long *)regs->sp = val;\n",
                        f"+\t*(unsigned long *)regs->sp = val + 0 * ({every});\n")


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


@dataclass(frozen=True)
class Case:
    """One hostile input: how to make it, at a small and a full size, and what it must end in:
    `finding`, a rule that must be reported (None: a clean exit is all), and the exit codes."""

    name: str
    make: Callable[[Path, int], tuple[list[str], bytes | None]]
    small: int
    full: int
    finding: str | None
    exits: tuple[int, ...] = (0, 1)


def _file(name: str, text: Callable[[int], str | bytes], *options: str):
    return lambda folder, size: ([str(_write(folder, name, text(size))), *options], None)


CASES = [
    Case("subject-total", _file("total.mbox", lambda n: mail(f"[PATCH 1/{n}] x86: One of many")),
         10 ** 6, 999_999_999, "SERIES_NUMBERING"),
    Case("subject-digits", _file("digits.mbox", lambda n: mail(f"[PATCH v{'9' * n} 1/{'9' * n}] x")),
         5000, 20_000, "SERIES_NUMBERING"),
    Case("constexpr-bomb", _file("bomb.mbox", _bomb_series), 70, 200, "BUILD_LIMIT"),
    Case("gzip-zeros", lambda folder, size: ([str(_zeros_gz(folder / "zeros.gz", size))], None),
         8 << 20, 2 << 30, None, (2,)),
    Case("gzip-mail-then-zeros", lambda folder, size: ([str(_zeros_gz(
        folder / "tail.mbox.gz", size, mail().encode() + b"\n"))], None),
         8 << 20, 2 << 30, "MAIL_DATA_LOST"),
    Case("gzip-mail-then-blank-lines", lambda folder, size: ([str(_zeros_gz(
        folder / "blank.mbox.gz", size, mail().encode() + b"\n", fill=b"\n"))], None),
         24 << 20, 2 << 30, "MAIL_DATA_LOST"),
    Case("dev-zero", lambda folder, size: (["/dev/zero"], None), 0, 0, None, (2,)),
    Case("diffstat-spaces", _file("stat.mbox", lambda n: mail(body=(
        "Spaces.\n\nSigned-off-by: Ines Marchetti <ines@example.org>\n---\n"
        + "a" + " " * n + "\n\n"))), 10_000, 100_000, None),
    Case("folded-subject", _file("folded.mbox", lambda n: mail(
        "[PATCH] x86: A long" + " and long\n" * n + " subject")), 10_000, 100_000, "MAIL_DATA_LOST"),
    Case("cc-addresses", _file("cc.mbox", lambda n: mail(headers="Cc: " + ",\n ".join(
        f"person{k} <p{k}@example.org>" for k in range(n)) + "\n")), 10_000, 100_000,
         "MAIL_DATA_LOST"),
    Case("nested-comments", _file("nested.mbox", lambda n: mail(headers=(
        "Cc: " + "(" * n + "x@example.org\n")).replace(
        "Signed-off-by: Ines Marchetti <ines@example.org>",
        "Signed-off-by: Ines " + "(" * n + " <ines@example.org>")), 1000, 10_000, None),
    Case("content-type-parameters", _file("params.mbox", lambda n: mail(headers=(
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8" + ";" * n + "\n"))),
        100_000, 1_000_000, "MAIL_DATA_LOST"),
    Case("long-message-line", _file("long.mbox", lambda n: mail().replace(
        "The comment says where the room comes from.",
        "[ Upstream commit " + "0123456789abcdef" * (n // 16) + " ]")), 100_000, 600_000,
        "COMMIT_LOG_LONG_LINE"),
    Case("mime-depth", _file("deep.mbox", _nested), 1000, 5000, "MAIL_DATA_LOST"),
    Case("email-non-ascii", _file("utf8.mbox", lambda n: mail(
        "[PATCH] x86: Tr\u00e4iling space ", headers=(
            "Cc: J\u00f6rg M\u00fcller <j\u00f6rg@m\u00fcller.example>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"),
        body="Text. \n\nSigned-off-by: Ines Marchetti <ines@example.org>\n---\n"
             "diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,1 +1,2 @@\n int a;\n+int b; \n")
        .replace("From: Ines Marchetti <ines@example.org>",
                 "From: \u00cdnes M\u00e0rchetti <\u00ednes@ex\u00e4mple.org>"),
        "--format", "email"), 0, 0, None),
    Case("fifo", lambda folder, size: ([str(_fifo(folder, "pipe.mbox"))], mail().encode()),
         0, 0, None),
    Case("dev-stdin", lambda folder, size: (["/dev/stdin"], mail().encode()), 0, 0, None),
    Case("fifo-in-folder", lambda folder, size: (_fifo_folder(folder), None), 0, 0,
         "MAIL_DATA_LOST"),
    Case("hunk-lines", _file("hunk.mbox", lambda n: mail(body=_hunk(n))),
         300_000, 2_000_000, "MAIL_DATA_LOST"),
    Case("qp-soft-breaks", _file("qp.mbox", _qp), 300_000, 3_000_000, "MAIL_DATA_LOST"),
    Case("jobs", _file("jobs.mbox", lambda n: mail(), "--jobs", "100000"), 0, 0, None, (2,)),
    Case("build-limits-inf", _file("inf.mbox", lambda n: mail(), "--build-limits", "wall=inf"),
         0, 0, None, (2,)),
    Case("build-limits-huge", _file("huge.mbox", lambda n: mail(), "--build-limits",
                                    "file=99999999999999999999999G"), 0, 0, None, (2,)),
    Case("budget-nan", _file("nan.mbox", lambda n: mail(), "--budget", "nan"), 0, 0, None, (2,)),
    Case("series-empty", _file("empty.mbox", lambda n: mail(), "--series", ""), 0, 0, None, (2,)),
    Case("revision-zero", _file("rev.mbox", lambda n: mail(), "--revision", "0"),
         0, 0, None, (2,)),
]


def _fifo_folder(folder: Path) -> list[str]:
    patches = folder / "patches"
    patches.mkdir()
    _write(patches, "0001-one.patch", mail())
    _fifo(patches, "0002-blocks.patch")
    return [str(patches)]
