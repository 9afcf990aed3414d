"""The patching table on each tree's own int3 batch, and what the rule costs a check that does not need it (run by hand).

    .venv/bin/python bench/bench_patching.py [TREE ...] [--runs N]
        (default: every tree with alternative.c in .kernels/, 5 runs)

For each tree: the first run in this process (the batch cut out and built, or found in the build
cache, and the emulator made) and the median of the warm runs after it (a new machine each time,
the image from the cache), every sequence of the table counted. Then `toolkit check` on the
bundled series (which does not touch alternative.c) in new processes, with and without
INT3_PATCHING_BROKEN among the rules (`--ignore`), alternating, medians side by side, and whether
the batch's modules were executed at all in such a check.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from toolkit.validate import patching
from toolkit.validate.code import generated_code

ROOT = Path(__file__).resolve().parents[1]
SERIES = ROOT / "patches/int3-call-emulation-v1.mbox"
TOOLKIT = str(ROOT / ".venv/bin/toolkit")
PROBE = ("import sys; from toolkit.cli import main\n"
         "try:\n    main(['check', sys.argv[1], '--format', 'json'])\nexcept SystemExit:\n    pass\n"
         "import importlib.util as u\n"
         "m = sys.modules.get('toolkit.validate.patching')\n"
         "print('executed' if m is not None and not isinstance(m, u._LazyModule) else 'not executed',"
         " file=sys.stderr)\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    trees = args.trees or sorted(t for t in (ROOT / ".kernels").iterdir()
                                 if (t / "arch/x86/kernel/alternative.c").exists())
    prelude = generated_code("x86_64").prelude
    for tree in trees:
        start = time.perf_counter()
        outcomes = patching.run_tree(tree, prelude)
        first = time.perf_counter() - start
        warm = []
        for _ in range(args.runs):
            start = time.perf_counter()
            patching.run_tree(tree, prelude)
            warm.append(time.perf_counter() - start)
        statuses = {str(o.status) for o in outcomes}
        print(f"{tree.name}: {len(outcomes)} sequences ({', '.join(sorted(statuses))}): "
              f"first {first:.2f} s, warm median {statistics.median(warm):.2f} s")
    times = {"with": [], "without": []}
    for _ in range(args.runs):
        for key, extra in (("with", []), ("without", ["--ignore", "INT3_PATCHING_BROKEN"])):
            start = time.perf_counter()
            subprocess.run([TOOLKIT, "check", str(SERIES), *extra], capture_output=True)
            times[key].append(time.perf_counter() - start)
    print(f"toolkit check {SERIES.name}: with the rule {statistics.median(times['with']):.3f} s, "
          f"without {statistics.median(times['without']):.3f} s (medians of {args.runs})")
    done = subprocess.run([sys.executable, "-c", PROBE, str(SERIES)], capture_output=True,
                          text=True)
    print(f"toolkit.validate.patching in that check: {done.stderr.strip().splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
