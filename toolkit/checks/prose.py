"""What a commit message line is when it is not prose: pasted tool output, a log, code, a shell line, a table or a URL.

COMMIT_LOG_LONG_LINE asks to rewrap prose; these lines are evidence kept as printed, and
rewrapping them would make them wrong. Each shape is recognised by what it is, not by who
pasted it; tests/data/rules/long-line-shapes.txt holds the labelled examples.
"""

from __future__ import annotations

import re

# A diagnostic as compilers, assemblers, linkers and checkers print it: one or more "where:"
# parts (a file, "file.c:12:5", "<instantiation>:47:2", "alternative.c:(.text+0x1a2)", "ld",
# "vmlinux.o"), then what it is.
_DIAGNOSTIC = re.compile(
    r"(?:[^\s:]+:(?:\d+:|\([^()\s]*\):)*[ \t]*)+"
    r"(?:fatal error|error|warning|note|sparse|in function|undefined reference|"
    r"multiple definition|relocation|objtool|modpost|Error \d+)\b", re.IGNORECASE)
# What the kernel and its build print at the start of a report line: "WARNING: modpost: ...",
# "BUG: KASAN: slab-out-of-bounds in ...", "CPU: 3 PID: 1 Comm: ...", "Hardware name: ...".
_REPORT_START = re.compile(
    r"(?:WARNING|ERROR|BUG|INFO|UBSAN|KASAN|KCSAN|KMSAN|KFENCE|FATAL|Oops|PANIC)\b[:!]?"
    r"|kernel BUG at |Kernel panic\b|general protection fault\b|Unable to handle\b"
    r"|CPU: \d+ |Hardware name: |Modules linked in:|Workqueue: |Call Trace:|Code: "
    r"|make(?:\[\d+\])?: \*\*\*|cc1: |\d+ locks? held by |stack backtrace:"
    r"|\*\*\* DEADLOCK \*\*\*|-> #\d+ \(|Traceback \(most recent call last\)"
    r"|In file included from |(?:Read|Write) of size \d+ at addr |Tainted: "
    # kernel-doc's "Warning: drivers/x.h:74 struct member ...", a linker named by its path
    # ("/usr/bin/ld: x.o: ...", "aarch64-linux-gnu-ld.bfd: ...")
    r"|(?:Warning|Error|Note): (?:[\w.+-]*/)*[\w.+-]+\.\w+:\d+"
    r"|(?:\S*/)?(?:[\w.-]+-)?ld(?:\.\w+)?: "
    # a compiler warning's second half, wrapped before its flag ("... at end [-Wgnu-...]")
    r"|.*\[-W[\w=+-]+\]\s*$"
    # the second line of a linker error wrapped after its "where:", a program's progress line
    # ("Checking that ptrace works...check_ptrace : child exited with 6")
    r"|(?:multiple definition of|undefined reference to) [`'\u2018]"
    r"|[A-Z][a-z]+ing\b.*\w\.\.\.\S"
    # a path with its line ("drivers/x/y.c:161 func() warn: ...", "a.dtb: node: ..."), a
    # script's error ("/lib/x.sh: line 98: ..."), a test's result ("generic/233  3s ..."), a
    # program's log ("dracut-pre-pivot[674]: ..."), a driver's ("atkbd serio0: Spurious ...")
    r"|(?:[\w.+-]*/)+[\w.+-]+\.\w+:|\S+: line \d+: |[a-z0-9_-]+/\d{3,}\s"
    r"|\[?[\w.-]+\[\d+\]: |[a-z][\w-]* [\w.:-]*\d[\w.:-]*: \S|\[drm[:\]]"
    # a file system's log ("EXT4-fs (sda1): ..."), a function's ("mlx5_cmd_out_err: ...")
    r"|[\w-]+ \([\w.:-]+\): |[a-z][a-z0-9]*_\w+: ")
# "func+0x1d/0x30", "text_poke_bp_batch+0x2a/0x3c0 [module]": a frame of a stack trace.
_FRAME = re.compile(r"[\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+")
# "RAX: 0000000000000000 RBX: ffffffff82a1c3e0": a register dump; "[   12.345678]", "<4>[ 1.2]":
# a kernel log line; "ffffffff81000000 <text_poke>:", "  12:\te8 00 00": a disassembly.
_DUMP = re.compile(r"(?:[A-Z][A-Z0-9]{1,6}: [0-9a-f]{4,}(?:[ :]|$))"
                   r"|(?:<\d>)?\[\s*\d+\.\d+\]|[0-9a-f]{8,16} <[^>]+>:|[0-9a-f]+:\t")
# A hex number of eight digits or more: three make a line a dump of memory or registers.
_LONG_HEX = re.compile(r"\b(?:0x)?[0-9a-f]{8,}\b")
# A shell line: a prompt, or a program named by its path.
_SHELL = re.compile(r"(?:[$#%]|\w+@[\w.-]+:\S*[$#]|\[[^\]]+\][$#]) \S|\.{0,2}/[\w./-]+(?:\s|$)")
# An option ("-e", "--sites=4096"), an assignment ("ARCH=x86_64"), a pipe or a redirection
# of a command line.
_SHELL_WORD = re.compile(r"(?:--?[A-Za-z][\w-]*(?:=\S*)?|[A-Z_][A-Z0-9_]*=\S*|\||>|2>&1)")
# A dump of bytes: "cc cc 48 c7 c6 <0f> 0b"; "dev = (252,16), ino = 14, len:4096": a record of
# fields as a tracer prints it.
_BYTE = re.compile(r"<?[0-9a-f]{2}>?")
_FIELD = re.compile(r"\w+ ?= ?\S|\w+:\S")
# "def f(x: int) -> list[int]:", "for site in sites:", "import re": a Python statement.
_PYTHON = re.compile(r"(?:(?:async )?def \w+\(.*\).*|class \w+.*|(?:while|if|elif|with) .*"
                     r"|try|except.*):|for [\w, ()]+ in \S.*:(?: .*)?"
                     r"|(?:import|from) [\w.]+(?: import .*)?|\w+(?:Error|Exception): .*")
# A C statement, declaration or function head: ends in ';', '{', '}' or '*/', or is a head
# that starts with a type word.
_C_END = re.compile(r".*(?:;|\{|\}|\*/)[ \t]*")
_C_SIGNS = re.compile(r"\w\(|->|[=!<>]=|&&|\|\||\+\+|--|\w\[|^\s*[{}]|/\*|#\s*(?:define|include|if)")
_C_HEAD = re.compile(r"(?:static |extern |inline |const |unsigned |signed |struct |enum |union "
                     r"|void |bool |int |long |char |u8 |u16 |u32 |u64 |s32 |s64 |size_t "
                     r"|noinstr |asmlinkage |__always_inline |#define )+.*\w\(.*\)?[ \t]*,?")
# "Ines Vale (2):": a cover letter's shortlog heading.
_SHORTLOG = re.compile(r"\S.* \(\d+\):")
# A table: "| a | b |", or columns lined up by runs of spaces not following a sentence.
_TABLE_ROW = re.compile(r"\s*\|.*\|\s*")
_COLUMN_GAP = re.compile(r"(?<=[^\s.?!:;,])[ \t]{2,}(?=\S)")
# commit 0123456789ab ("x86/alternatives: ..."), a title in quotes on its own, a revert's title.
_QUOTED_TITLE = re.compile(r".*\b[0-9a-f]{12,40} \(\".*\"\)[.,;:]*|\s*[\"'\u201c].*[\"'\u201d][.,;:)]*"
                           r"|Revert \".*\"|.*\bcommit [0-9a-f]{12,40} upstream\b.*",
                           re.IGNORECASE)
# A terminal's colour code, as the byte ESC or as pasted "^[": "\x1b[0;1;31m", "^[[0m".
_COLOUR = re.compile(r"(?:\x1b|\^\[)\[[0-9;]*m")
# The header lines of a mail or patch quoted in the message ("Subject: [PATCH] ...").
_MAIL_HEADER = re.compile(r"(?:Subject|From|Date|Message-I[Dd]|In-Reply-To): \S")
# "dm-mod.create=\"...\"", "console=ttyS0,115200 root=/dev/vda": a kernel parameter or other
# setting written as name=value at the start of a line.
_SETTING = re.compile(r"[a-z][\w.-]*=\S")
# A commit as `git log --oneline` shows it: "1146f7e2dc15 ntfs: fix ...", "(1146f7e2dc15 ...)".
_ONELINE = re.compile(r"\(?[0-9a-f]{12,40} \S")
# A line of source as compilers show it under a diagnostic: "  455 |   if (x)", "      |   ^~~".
_SOURCE_EXCERPT = re.compile(r"\s*\d*\s*\|\s")
# "pid: 5580, name: dm-nowait", "in_atomic(): 0, irqs_disabled(): 0": fields a log prints.
# (Tried only where a name starts: from inside one it would fail the same way, and a line that
# is one long word would cost the square of its length.)
_COLON_FIELD = re.compile(r"(?<![\w()])[\w()]+: [\w./-]+(?:,|$)")
# "cxl region: destroy_region: decoder11.0: set_dpa_size failed: ...": a tool's message, each
# part naming where it came from.
_COLON_CHAIN = re.compile(r"(?:[\w.-]+(?: [\w.-]+)?: ){3}")
# No line of evidence, code or a table is this long; one that is, is judged as prose.
_LONGEST = 2000
# Fixes: b700e7f03df5 ("..."): a tag in the message keeps its line whatever its length.
_TAG = re.compile(r"\s*(?:fixes|link|closes):", re.IGNORECASE)


def not_prose(text: str) -> bool:
    """Whether a commit message line is pasted evidence, code or a URL rather than prose."""
    if "\x1b[" in text or "^[[" in text:
        # output pasted from a terminal keeps its colours: judged without them
        text = _COLOUR.sub("", text)
    if "://" in text or text[:1].isspace() or text[:1] == ">":
        # a URL cannot be wrapped; an indented (also by a no-break space) or quoted line is a
        # block kept as printed
        return True
    if len(text) > _LONGEST:
        # judged as prose (so its length is remarked on), without the patterns below: searched
        # at every position of a line of a million characters, they take hours
        return False
    if (_TAG.match(text) or _QUOTED_TITLE.fullmatch(text) or _MAIL_HEADER.match(text)
            or _SETTING.match(text) or _ONELINE.match(text) or _SOURCE_EXCERPT.match(text)
            or _COLON_CHAIN.match(text) or len(_COLON_FIELD.findall(text)) >= 3):
        return True
    if pasted_output(text):
        return True
    if (_SHELL.match(text) or _PYTHON.fullmatch(text.rstrip()) or _TABLE_ROW.fullmatch(text)
            or _SHORTLOG.fullmatch(text.rstrip())):
        return True
    words = text.split()
    if len([w for w in words if _SHELL_WORD.fullmatch(w)]) >= 2 and re.fullmatch(
            r"[\w.-]+|[A-Z_][A-Z0-9_]*=\S*", words[0]):
        return True  # "make ARCH=x86_64 O=build ...", "perf record -e cycles -g ..."
    fields = len(_FIELD.findall(text))
    if (len([w for w in words if _BYTE.fullmatch(w)]) >= 8 or fields >= 3
            or (fields and len(_LONG_HEX.findall(text)) >= 2)):
        return True
    if (_C_END.fullmatch(text) and _C_SIGNS.search(text)) or _C_HEAD.fullmatch(text):
        return True
    return len(_COLUMN_GAP.findall(text)) >= 3


def pasted_output(text: str) -> bool:
    """Whether a line is what a compiler, linker, checker or the kernel printed (not a URL, a
    quote, code or a table): the lines indented under it are the rest of that output. A line
    longer than any output is not searched (see `not_prose`)."""
    return len(text) <= _LONGEST and bool(_DIAGNOSTIC.match(text) or _REPORT_START.match(text) or _FRAME.search(text)
                or _DUMP.match(text) or len(_LONG_HEX.findall(text)) >= 3)
