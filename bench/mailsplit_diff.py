"""Where the toolkit and `git mailsplit` cut a corpus into different mails (run by hand).

    .venv/bin/python bench/mailsplit_diff.py DIR [--limit N]

For each list folder of a corpus (bench/corpus_lists.py: one mail per file) the mails are joined
into one mboxo file the way an mbox writer without escaping would (a From_ line, then the mail),
and into one mboxrd file the way public-inbox and b4 write it; each file is cut by `git mailsplit`
(with --mboxrd where the toolkit recognises mboxrd, as a user tells git am) and by the reader, and the mails compared (line ends as
LF, trailing blank lines left off). Printed: per list, mails, and mismatches with the first
differing mail of each; the total last.
"""

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit.mail import mbox  # noqa: E402  (the checkout's package, not an installed one)

FROM_LINE = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
_ESCAPE = re.compile(rb"^(>*From )", re.M)


def comparable(lines: list[bytes]) -> bytes:
    text = b"".join(line.rstrip(b"\r\n") + b"\n" for line in lines)
    return text.rstrip(b"\n") + b"\n" if text.strip() else b""


def joined(mails: list[bytes], rd: bool) -> bytes:
    out = []
    for mail in mails:
        body = _ESCAPE.sub(rb">\1", mail) if rd else mail
        out.append(FROM_LINE + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def git_split(path: Path, rd: bool, scratch: Path) -> list[bytes]:
    out = Path(tempfile.mkdtemp(dir=scratch))
    subprocess.run(["git", "mailsplit", "-b", *(["--mboxrd"] if rd else []), f"-o{out}",
                    str(path)], check=True, capture_output=True)
    found = []
    for part in sorted(out.iterdir()):
        lines = part.read_bytes().split(b"\n")
        lines = [line + b"\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
        found.append(comparable(lines[1:] if lines and mbox.git_from_line(lines[0]) else lines))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--limit", type=int, help="mails per list")
    args = parser.parse_args(argv)
    total = mismatched = 0
    with tempfile.TemporaryDirectory(prefix="mailsplit-") as scratch:
        for folder in sorted(p for p in args.dir.iterdir() if p.is_dir() and
                             not p.name.startswith(".")):
            files = sorted(p for p in folder.iterdir() if p.is_file())[:args.limit]
            mails = [f.read_bytes() for f in files]
            for rd in (False, True):
                path = Path(scratch) / f"{folder.name}.{'mboxrd' if rd else 'mboxo'}"
                path.write_bytes(joined(mails, rd))
                ours = [comparable(m.lines) for m in mbox.raw_mails(str(path))]
                # the toolkit takes a file with '>>From ' lines for mboxrd, as git does when
                # told with --mboxrd (git am --patch-format=mboxrd): compare like with like
                with open(path, "rb") as stream:
                    told = mbox._is_mboxrd(stream)
                theirs = git_split(path, told, Path(scratch))
                bad = sum(a != b for a, b in zip(ours, theirs)) + abs(len(ours) - len(theirs))
                total += len(mails)
                mismatched += bad
                first = next((k for k, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
                print(f"{folder.name:45} {'mboxrd' if rd else 'mboxo ':6} {len(mails):6} mails "
                      f"toolkit {len(ours):6} git {len(theirs):6} mismatches {bad}"
                      + (f" (first at mail {first + 1})" if first is not None else ""))
    print(f"total: {total} mails, {mismatched} mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
