"""Parse time of real headers: text-patching.h and ptrace.h of each kernel tree (run by hand).

    .venv/bin/python bench/bench_header.py [TREE ...]   (default: .kernels/linux-source-*)

Prints the best and median wall time over repeated parses, and the time to import pycparser and
the model once (paid by every `toolkit parse` run).
"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("arch/x86/include/asm/text-patching.h", "arch/x86/include/asm/ptrace.h")
REPEAT = 20


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    from toolkit import cheader
    print(f"import toolkit.cheader (pycparser): {1000 * (time.perf_counter() - started):.1f} ms")
    trees = [Path(a) for a in argv] or sorted((ROOT / ".kernels").glob("linux-source-*"))
    if not trees:
        print("no kernel tree (make kernel-trees, or name one)", file=sys.stderr)
        return 2
    for tree in trees:
        for name in FILES:
            path = tree / name
            text = path.read_text()
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                model = cheader.parse_header(text, str(path))
                times.append(time.perf_counter() - start)
            print(f"{tree.name}/{name}: {len(text.splitlines())} lines, "
                  f"{len(model.functions)} functions, {len(model.macros)} macros, "
                  f"{len(model.unparsed)} unparsed: best {1000 * min(times):.1f} ms, "
                  f"median {1000 * statistics.median(times):.1f} ms ({REPEAT} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
