"""`toolkit check` against checkpatch.pl on the same 3-patch series, side by side (run by hand).

    .venv/bin/python bench/bench_check.py [MBOX]   (default: patches/int3-call-emulation-v1.mbox)

Both run as a user runs them, as a new process each time: `toolkit check MBOX` (every rule,
emulation of each tree state included, after one warm-up run that fills the build cache) and
`checkpatch.pl --no-tree` on the series' patches split into one file each (the cover letter
left out, as checkpatch.pl has nothing to say about it). Prints best and median wall time.
"""

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKPATCH = ROOT / ".kernels/linux-source-6.12/scripts/checkpatch.pl"
REPEAT = 7
# "From rostedt@goodmis.org Mon Sep 17 00:00:00 2001": the first line of each mail
_MAIL_START = re.compile(r"(?m)^(?=From \S+ Mon Sep 17 00:00:00 2001$)")


def timed(command: list[str]) -> tuple[list[float], subprocess.CompletedProcess]:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
    return times, done


def main(argv: list[str]) -> int:
    mbox = Path(argv[0]) if argv else ROOT / "patches/int3-call-emulation-v1.mbox"
    if not CHECKPATCH.exists():
        print(f"no {CHECKPATCH.relative_to(ROOT)} (make kernel-trees)", file=sys.stderr)
        return 2
    mails = [m for m in _MAIL_START.split(mbox.read_text()) if m and "[PATCH" in m]
    patches = [m for m in mails if not re.search(r"\[PATCH[^\]]* 0+/\d+\]", m)]
    toolkit = [sys.executable, "-m", "toolkit", "check", str(mbox)]
    subprocess.run(toolkit, capture_output=True)           # warm the build cache
    with tempfile.TemporaryDirectory(prefix="bench-check-") as scratch:
        files = []
        for k, text in enumerate(patches, 1):
            files.append(Path(scratch) / f"{k:04d}.patch")
            files[-1].write_text(text)
        checkpatch = ["perl", str(CHECKPATCH), "--no-tree", "--no-color", *map(str, files)]
        rows = [("toolkit check", *timed(toolkit)), ("checkpatch.pl --no-tree", *timed(checkpatch))]
    print(f"{mbox.name}: {len(patches)} patches, {REPEAT} runs each")
    for name, times, done in rows:
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
        print(f"  {name:<24} best {1000 * min(times):6.0f} ms  median "
              f"{1000 * statistics.median(times):6.0f} ms   {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
