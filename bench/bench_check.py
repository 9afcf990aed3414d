"""`toolkit check` cold and warm against checkpatch.pl on the same series, side by side (run by hand).

    .venv/bin/python bench/bench_check.py [MBOX] [--runs N]
        (default: patches/int3-call-emulation-v1.mbox, 7 runs)

Each run is a new process, as a user or a CI bot starts it: `toolkit check MBOX` cold (an empty
cache directory every time, as on a fresh CI machine: the reference code rendered and parsed, the
trials built and run), `toolkit check MBOX` warm (a cache filled by an earlier run), and
`checkpatch.pl --no-tree` on the series' patches split into one file each (the cover letter left
out, as checkpatch.pl has nothing to say about it; `make kernel-trees` provides it), run once per
patch as a CI bot or b4 runs it, and once on all the files together. All four alternate, run
after run, so that a busy machine slows them alike; the medians and their ratios to checkpatch.pl
once per patch are printed. The package is byte-compiled first, as an installed one is.
"""

import argparse
import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKPATCH = ROOT / ".kernels/linux-source-6.12/scripts/checkpatch.pl"
# "From rostedt@goodmis.org Mon Sep 17 00:00:00 2001": the first line of each mail
_MAIL_START = re.compile(r"(?m)^(?=From \S+ Mon Sep 17 00:00:00 2001$)")


def timed(command: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mbox", nargs="?", type=Path,
                        default=ROOT / "patches/int3-call-emulation-v1.mbox")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if not CHECKPATCH.exists():
        print(f"no {CHECKPATCH.relative_to(ROOT)} (make kernel-trees)", file=sys.stderr)
        return 2
    mails = [m for m in _MAIL_START.split(args.mbox.read_text()) if m and "[PATCH" in m]
    patches = [m for m in mails if not re.search(r"\[PATCH[^\]]* 0+/\d+\]", m)]
    toolkit = [sys.executable, "-m", "toolkit", "check", str(args.mbox)]
    # An installed package is byte-compiled (pip does it); an editable checkout may not be, and
    # with PYTHONDONTWRITEBYTECODE set every run would compile the changed modules again.
    compileall.compile_dir(str(ROOT / "toolkit"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as scratch:
        files = []
        for k, text in enumerate(patches, 1):
            files.append(Path(scratch) / f"{k:04d}.patch")
            files[-1].write_text(text)
        checkpatch = ["perl", str(CHECKPATCH), "--no-tree", "--no-color"]
        warm_env = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch) / "warm")}
        timed(toolkit, warm_env)                                  # fill the warm cache
        times: dict[str, list[float]] = {"cold": [], "warm": [], "checkpatch": [],
                                          "checkpatch, one call": []}
        last: dict[str, subprocess.CompletedProcess] = {}
        for run in range(args.runs):
            cold_env = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch) / f"cold-{run}")}
            for name, command, env in (("cold", toolkit, cold_env), ("warm", toolkit, warm_env)):
                seconds, last[name] = timed(command, env)
                times[name].append(seconds)
            per_patch = [timed([*checkpatch, str(path)]) for path in files]
            times["checkpatch"].append(sum(seconds for seconds, _ in per_patch))
            last["checkpatch"] = per_patch[-1][1]
            seconds, last["checkpatch, one call"] = timed([*checkpatch, *map(str, files)])
            times["checkpatch, one call"].append(seconds)
    base = statistics.median(times["checkpatch"])
    print(f"{args.mbox.name}: {len(patches)} patches, {args.runs} runs each, alternating")
    labels = {"cold": "toolkit check, cold cache", "warm": "toolkit check, warm cache",
              "checkpatch": "checkpatch.pl, once per patch",
              "checkpatch, one call": "checkpatch.pl, all in one call"}
    for name, values in times.items():
        median = statistics.median(values)
        lines = last[name].stdout.strip().splitlines()
        print(f"  {labels[name]:<31} median {1000 * median:6.0f} ms  best {1000 * min(values):6.0f} ms"
              f"  {median / base:5.2f}x checkpatch   {lines[-1] if lines else '(no output)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
