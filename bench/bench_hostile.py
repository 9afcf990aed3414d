"""Every row of tests/data/hostile/*.toml through `toolkit check`, as a user runs it (run by hand).

    .venv/bin/python bench/bench_hostile.py [NAME ...]   (default: every row)

Each row's mbox is checked twice in a new process with the default limits, in one cache folder of
its own: cold (the limit is paid) and again (the limit is remembered). Prints per row the time of
both runs, the peak resident memory of any process of the first (the toolkit, gcc, cc1, as, ld:
wait4's rusage covers every descendant that was waited for), the exit status, whether the row's
finding was there, and the size of the cache afterwards.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "hostile"


def run(mbox: Path, cache: Path) -> tuple[float, int, int, list]:
    """Seconds, peak KiB of any process, exit status and findings of one `toolkit check`."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "toolkit", "check", "--format", "json",
                                str(mbox)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env={**os.environ, "XDG_CACHE_HOME": str(cache)}, cwd=ROOT)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    findings = json.loads(out)["findings"] if out else []
    return took, usage.ru_maxrss, process.returncode, findings


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(names: list[str]) -> int:
    series = (DATA / "series.mbox").read_text()
    rows = [row for table in sorted(DATA.glob("*.toml"))
            for row in tomllib.loads(table.read_text())["row"]
            if not names or row["name"] in names]
    print(f"{'row':<20} {'first':>7} {'again':>7} {'peak':>8} {'exit':>4}  {'cache':>8}  finding")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        cache = Path(scratch) / "cache"
        for row in rows:
            text = series
            for old, new in row["edit"]:
                text = text.replace(old, new)
            mbox = Path(scratch) / f"{row['name']}.mbox"
            mbox.write_text(text)
            took, peak, code, findings = run(mbox, cache)
            again = run(mbox, cache)[0]
            worst = max(worst, took, again)
            level = row.get("level", "warning" if row["finding"] == "BUILD_LIMIT" else "error")
            hit = next((f for f in findings if f["rule"] == row["finding"] and f["patch"]
                        and f["patch"]["index"] == row["patch"] and f["level"] == level), None)
            said = f"{row['finding']} on {row['patch']}: {hit['message'][:70]}" if hit \
                else f"MISSING {row['finding']} on {row['patch']}"
            print(f"{row['name']:<20} {took:6.2f}s {again:6.2f}s {peak / 1024:6.0f}MB {code:>4}  "
                  f"{size(cache) / 1024:6.0f}KB  {said}", flush=True)
    print(f"slowest run {worst:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
