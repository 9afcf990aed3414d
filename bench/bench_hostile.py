"""Every row of tests/data/hostile/*.toml and every hostile mail of tests/hostilemail.py through
`toolkit check`, as a user runs it (run by hand).

    .venv/bin/python bench/bench_hostile.py [NAME ...]   (default: every row)

Each row's mbox is checked twice in a new process with the default limits, in one cache folder of
its own: cold (the limit is paid) and again (the limit is remembered). Prints per row the time of
both runs, the peak resident memory of any process of the first (the toolkit, gcc, cc1, as, ld:
wait4's rusage covers every descendant that was waited for), the exit status, whether the row's
finding was there, and the size of the cache afterwards.

Then each hostile mail, made at its full size (a 2 GiB gzip of zeros, a hunk of 2,000,000 lines,
...), is checked once: its time, the peak memory of the toolkit's own process (VmHWM, read while
it runs) and of any process (the compiler's included), the exit status, whether a traceback was
printed, and the finding. A mail must end within 10 s and 256 MiB of the toolkit's memory; the
last line says how many did not.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
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


#: What a hostile mail may cost the toolkit at most.
SECONDS, MEMORY = 10.0, 256 << 20


def run_mail(case, folder: Path) -> tuple[float, int, int, int, str, list]:
    """Seconds, peak bytes of the toolkit's process and of any process, exit status, standard
    error and findings of one `toolkit check` of a hostile mail at its full size."""
    arguments, feed = case.make(folder, case.full)
    if "--format" not in arguments:
        arguments += ["--format", "json"]
    stdin = subprocess.PIPE if arguments[0] == "/dev/stdin" else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "toolkit", "check", *arguments],
                               stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "XDG_CACHE_HOME": str(folder / "cache")},
                               cwd=ROOT)
    own = [0]
    watcher = threading.Thread(target=_watch, args=(process.pid, own), daemon=True)
    watcher.start()
    if feed is not None and stdin is subprocess.DEVNULL:
        threading.Thread(target=lambda: Path(arguments[0]).write_bytes(feed), daemon=True).start()
    streams: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda name=name, stream=stream: streams.__setitem__(
        name, stream.read())) for name, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    if stdin is subprocess.PIPE:
        process.stdin.write(feed)
        process.stdin.close()
    killer = threading.Timer(SECONDS * 6, process.kill)
    killer.start()
    _, status, usage = os.wait4(process.pid, 0)     # the rusage of this run alone
    killer.cancel()
    took = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    out, err = streams["out"], streams["err"]
    findings = []
    try:
        findings = json.loads(out)["findings"]
    except ValueError:
        pass
    return took, own[0], usage.ru_maxrss * 1024, process.returncode, err.decode(), findings


def _watch(pid: int, peak: list[int]) -> None:
    """The high-water mark of the resident memory of process `pid`, read until it is gone."""
    while True:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak[0] = max(peak[0], int(line.split()[1]) * 1024)
        if "State:\tZ" in status:
            return
        time.sleep(0.02)


def mails(names: list[str]) -> int:
    """The hostile mail table at full size; the number of mails over the bounds."""
    sys.path.insert(0, str(ROOT / "tests"))
    from hostilemail import CASES

    print(f"\n{'hostile mail':<22} {'time':>7} {'toolkit':>8} {'any':>8} {'exit':>4}  finding")
    over = 0
    for case in CASES:
        if names and case.name not in names:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-hostile-mail-") as scratch:
            took, own, anyone, code, err, findings = run_mail(case, Path(scratch))
        rules = sorted({f["rule"] for f in findings})
        wanted = case.finding is None or case.finding in rules
        fine = (took <= SECONDS and own <= MEMORY and code in case.exits and wanted
                and "Traceback" not in err)
        over += not fine
        said = (f"{case.finding} " if case.finding else "") + (
            "" if wanted else "MISSING ") + (err.strip().splitlines() or [""])[-1][:60]
        print(f"{case.name:<22} {took:6.2f}s {own >> 20:6}MB {anyone >> 20:6}MB {code:>4}  "
              f"{'ok  ' if fine else 'OVER'} {said}", flush=True)
    print(f"{over} hostile mails over {SECONDS:g} s / {MEMORY >> 20} MiB, a traceback or a "
          "wrong exit")
    return over


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
    return 1 if mails(names) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
