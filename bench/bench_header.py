"""Parse time of real headers: text-patching.h and ptrace.h of each kernel tree (run by hand).

    .venv/bin/python bench/bench_header.py [TREE ...]   (default: .kernels/linux-source-*)

Prints the best and median wall time over repeated parses, and the time to import pycparser and
the model once (paid by every `toolkit parse` run). Each header is modelled without and with its
#includes followed through the tree: the first time (nothing cached, as in one `toolkit parse
header --tree` run), then repeated (the included headers' macros come from the cache).
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
    from toolkit.cmodel import header as cheader
    print(f"import toolkit.cmodel.header (pycparser): {1000 * (time.perf_counter() - started):.1f} ms")
    trees = [Path(a) for a in argv] or sorted((ROOT / ".kernels").glob("linux-source-*"))
    if not trees:
        print("no kernel tree (make kernel-trees, or name one)", file=sys.stderr)
        return 2
    for tree in trees:
        for name in FILES:
            path = tree / name
            text = path.read_text()
            model, times = _timed(lambda: cheader.parse_header(text, str(path)))
            print(f"{tree.name}/{name}: {len(text.splitlines())} lines, "
                  f"{len(model.functions)} functions, {len(model.macros)} macros, "
                  f"{len(model.unparsed)} unparsed: {_summary(times)}")
            start = time.perf_counter()
            cheader.parse_header(text, str(path), tree=str(tree))
            first = time.perf_counter() - start
            model, times = _timed(lambda: cheader.parse_header(text, str(path), tree=str(tree)))
            followed = model.followed
            print(f"  with includes followed ({len(followed.files)} headers, "
                  f"{len(followed.macros)} macros, {len(followed.unresolved)} unresolved): "
                  f"first {1000 * first:.1f} ms, then {_summary(times)}")
    return 0


def _timed(parse):
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        model = parse()
        times.append(time.perf_counter() - start)
    return model, times


def _summary(times: list[float]) -> str:
    return (f"best {1000 * min(times):.1f} ms, median {1000 * statistics.median(times):.1f} ms "
            f"({REPEAT} runs)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
