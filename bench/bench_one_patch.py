"""One patch mail, as b4 and git hooks hand it over: `toolkit check` against checkpatch.pl, paired (run by hand).

    .venv/bin/python bench/bench_one_patch.py [MAIL] [--runs N]
        (default: bench/data/one-x86-patch.eml, a patch to arch/x86 code the toolkit does not
         model; 15 pairs)

The toolkit is installed from a wheel built from this checkout into a virtual environment of its
own (byte-compiled, as pip installs it), and its cache is warmed by one run first. Each pair
runs `toolkit check MAIL` and `checkpatch.pl --no-tree MAIL` (from `make kernel-trees`) back to
back, in alternating order, so that a busy machine slows both alike. Printed: the median wall
time of each, the median of the per-pair ratios, and the CPU time (user+system) of each.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKPATCH = ROOT / ".kernels/linux-source-6.12/scripts/checkpatch.pl"
MAIL = ROOT / "bench/data/one-x86-patch.eml"


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `command` (its exit code is the check's verdict)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def install(scratch: Path) -> Path:
    """The toolkit executable of a fresh environment that has it installed from a wheel."""
    wheels = scratch / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(wheels), str(ROOT)], check=True)
    venv.create(scratch / "env", with_pip=True)
    pip = scratch / "env/bin/pip"
    subprocess.run([str(pip), "install", "--quiet", *map(str, wheels.glob("*.whl"))],
                   check=True)
    return scratch / "env/bin/toolkit"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mail", nargs="?", type=Path, default=MAIL)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    if not CHECKPATCH.exists():
        print(f"no {CHECKPATCH.relative_to(ROOT)} (make kernel-trees)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-one-") as scratch:
        print("installing the toolkit from a wheel ...", file=sys.stderr)
        toolkit = [str(install(Path(scratch))), "check", str(args.mail)]
        checkpatch = ["perl", str(CHECKPATCH), "--no-tree", "-q", str(args.mail)]
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(scratch) / "cache")}
        timed(toolkit, env)                                 # warm the cache
        ours, theirs = [], []
        for k in range(args.runs):
            pair = [(toolkit, ours), (checkpatch, theirs)]
            for command, into in (pair if k % 2 == 0 else pair[::-1]):
                into.append(timed(command, env))
    wall = [a[0] / b[0] for a, b in zip(ours, theirs)]
    cpu = [a[1] / b[1] for a, b in zip(ours, theirs)]
    print(f"{args.mail.name}, {args.runs} pairs, warm, installed from a wheel")
    print(f"  toolkit check    wall {statistics.median(t for t, _ in ours):.3f} s   "
          f"cpu {statistics.median(c for _, c in ours):.3f} s")
    print(f"  checkpatch.pl    wall {statistics.median(t for t, _ in theirs):.3f} s   "
          f"cpu {statistics.median(c for _, c in theirs):.3f} s")
    print(f"  toolkit / checkpatch.pl: wall {statistics.median(wall):.2f}x, "
          f"cpu {statistics.median(cpu):.2f}x (median of the pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
