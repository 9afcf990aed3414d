"""A real-world corpus checked as one mbox: mails/second and peak memory for --jobs 1 and 2, against
checkpatch.pl on a sample of the same mails, and for the archive doubled (run by hand).

    .venv/bin/python bench/bench_archive.py [CORPUS] [--sample N]

CORPUS is a folder of mail files (default .corpus/, see bench/corpus.py); its files are joined into
one mboxrd file, and a second file holds the same mails twice (the copies' message ids changed, so
that they form threads of their own). Each run is `toolkit check --format jsonl` as a new process;
its peak memory is the largest resident size of it and its worker processes (ru_maxrss of the
children). checkpatch.pl --no-tree runs on N patch mails of the corpus, one process per mail, as a
CI bot runs it per patch (`make kernel-trees` provides it).
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit.mail import read_messages

ROOT = Path(__file__).resolve().parents[1]
CHECKPATCH = ROOT / ".kernels/linux-source-6.12/scripts/checkpatch.pl"
SEPARATOR = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
ESCAPE = re.compile(rb"^(>*From )", re.M)
MSGID = re.compile(rb"^(Message-I[Dd]|In-Reply-To|References):(.*)$", re.M | re.I)


def mail_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".eml", ".mbox")
                  and not p.name.startswith(("MANIFEST", "FINDINGS")))


def joined(files: list[Path], copy: str = "") -> bytes:
    """The files as one mboxrd stream; with `copy`, every message id gets it as a suffix."""
    out = []
    for path in files:
        data = path.read_bytes()
        if copy:
            data = MSGID.sub(lambda m: m.group(1) + b":" + re.sub(
                rb">", copy.encode() + b">", m.group(2)), data)
        if data.startswith(b"From "):
            out.append(data.rstrip(b"\n") + b"\n\n")   # an mbox already: its mails as they are
        else:
            out.append(SEPARATOR + ESCAPE.sub(rb">\1", data).rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT / ".corpus")
    parser.add_argument("--sample", type=int, default=150, help="mails for checkpatch.pl")
    args = parser.parse_args(argv)
    files = mail_files(args.corpus)
    if not files:
        print(f"no mail files under {args.corpus}", file=sys.stderr)
        return 2
    toolkit = str(ROOT / ".venv/bin/toolkit")
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as scratch:
        once, twice = Path(scratch) / "once.mbox", Path(scratch) / "twice.mbox"
        once.write_bytes(joined(files))
        twice.write_bytes(joined(files) + joined(files, copy=".copy"))
        mails = sum(1 for _ in read_messages(str(once)))
        print(f"{len(files)} files, {mails} mails, {once.stat().st_size / 2**20:.1f} MiB as one mbox")
        subprocess.run([toolkit, "check", str(files[0])], capture_output=True)   # warm the cache
        rows = []
        for label, path, n, jobs in (("--jobs 1", once, mails, 1), ("--jobs 2", once, mails, 2),
                                     ("--jobs 2, doubled", twice, 2 * mails, 2)):
            # each in a fresh interpreter, so that ru_maxrss of the children is this run's own
            probe = [sys.executable, "-c", "import resource, subprocess, sys, time; "
                     "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], "
                     "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode; "
                     "print(time.perf_counter() - t, resource.getrusage("
                     "resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r)",
                     toolkit, "check", str(path), "--format", "jsonl", "--jobs", str(jobs)]
            seconds, peak, code = subprocess.run(probe, capture_output=True, text=True).stdout.split()
            rows.append((f"toolkit check {label}", n, float(seconds), float(peak), code))
        if CHECKPATCH.exists():
            sample = random.Random(1).sample(files, min(args.sample, len(files)))
            start = time.perf_counter()
            for path in sample:
                subprocess.run(["perl", str(CHECKPATCH), "--no-tree", "--no-color", "-q",
                                str(path)], capture_output=True)
            rows.append(("checkpatch.pl --no-tree per mail", len(sample),
                         time.perf_counter() - start, float("nan"), "-"))
        else:
            print(f"no {CHECKPATCH.relative_to(ROOT)} (make kernel-trees): no checkpatch.pl row")
    for label, n, seconds, peak, code in rows:
        print(f"  {label:<36} {n:>6} mails {seconds:8.1f} s {n / seconds:9.1f} mails/s "
              f"peak {peak:7.1f} MiB  exit {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
