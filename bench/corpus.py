"""Run `toolkit check` over a folder of real mail, file by file and as one mbox, and summarise.

Usage:
    python bench/corpus.py DIR [--toolkit PATH] [--jobs N] [--timeout S] [--limit N]
                               [--sample RULE:K] [--out FILE.json]

Every mail file under DIR (*.eml, *.mbox, *.patch, *.mbx, files named `m`, and files without an
extension inside a `fuzz` folder) is checked alone with `toolkit check --format json FILE`, N at a
time; then all of them are joined into one mboxrd file and checked in a single run. The summary
goes to stdout as plain text, and with --out also as JSON (including every run's findings).
Only the `toolkit` executable is used, so the script does not depend on the package's layout.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAIL_SUFFIXES = {".eml", ".mbox", ".patch", ".mbx"}
# The runner's own outputs and the corpus' bookkeeping live next to the mail.
SKIP_SUFFIXES = {".json", ".py", ".txt", ".md", ".tsv"}
SKIP_PREFIXES = ("MANIFEST", "README", "FINDINGS")
MBOXRD_SEPARATOR = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
FROM_LINE = re.compile(rb"^>*From ")
# The one-mbox run reads every mail at once, so it gets far more time than a single file.
MBOX_TIMEOUT_FACTOR = 10
EXIT_CLASSES = ("0", "1", "2", "other", "timeout")
SAMPLE_SEED = 1


def parse_args(argv: list[str]) -> argparse.Namespace:
    repo_root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder of mail files (searched recursively)")
    parser.add_argument("--toolkit", default=str(repo_root / ".venv" / "bin" / "toolkit"),
                        help="the toolkit executable (default: .venv/bin/toolkit of this repo)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--limit", type=int, help="check only the first N files")
    parser.add_argument("--sample", action="append", default=[], metavar="RULE:K",
                        help="print K random findings of RULE from the alone runs")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    return parser.parse_args(argv)


def is_mail_file(path: Path) -> bool:
    if path.name.startswith(SKIP_PREFIXES) or path.suffix in SKIP_SUFFIXES:
        return False
    if path.suffix in MAIL_SUFFIXES or path.name == "m":
        return True
    return path.suffix == "" and "fuzz" in path.parts


def mail_files(root: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and is_mail_file(p))
    return files[:limit] if limit is not None else files


def count_mails(raw: bytes) -> int:
    """An mbox holds one mail per separator line; anything else is a single mail."""
    if not raw.startswith(b"From "):
        return 1
    return sum(1 for line in raw.split(b"\n") if line.startswith(b"From "))


def run_toolkit(toolkit: str, path: Path, timeout: float) -> dict:
    started = time.monotonic()
    try:
        done = subprocess.run([toolkit, "check", "--format", "json", str(path)],
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"file": str(path), "exit": "timeout", "stderr": "", "report": None,
                "seconds": round(time.monotonic() - started, 3)}
    return {"file": str(path), "exit": done.returncode,
            "seconds": round(time.monotonic() - started, 3),
            "stderr": done.stderr.decode("utf-8", "replace"),
            "report": parse_report(done.stdout.decode("utf-8", "replace"))}


def parse_report(stdout: str) -> dict | None:
    try:
        report = json.loads(stdout)
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def compact_run(run: dict) -> dict:
    """What the summary and a later reader need; full reports are too big to keep per file."""
    report = run["report"] or {}
    return {"file": run["file"], "exit": run["exit"], "seconds": run["seconds"],
            "stderr_first": first_line(run["stderr"]), "traceback": traceback_of(run["stderr"]),
            "series": series_count(report), "patches": summary_value(report, "patches"),
            "findings": [compact_finding(f) for f in findings_of(report)]}


def findings_of(report: dict) -> list[dict]:
    findings = report.get("findings")
    return [f for f in findings if isinstance(f, dict)] if isinstance(findings, list) else []


def compact_finding(finding: dict) -> dict:
    where = finding.get("mbox") or finding.get("mbox_at") or {}
    patch = finding.get("patch") or {}
    return {"rule": finding.get("rule"), "level": finding.get("level"),
            "message": finding.get("message"),
            "path": where.get("path") if isinstance(where, dict) else None,
            "line": where.get("line") if isinstance(where, dict) else None,
            "patch": patch.get("subject") if isinstance(patch, dict) else None,
            "series": finding.get("series")}


def summary_value(report: dict, key: str):
    summary = report.get("summary")
    return summary.get(key) if isinstance(summary, dict) else None


def series_count(report: dict) -> int | None:
    """`summary.series` when the tool says it; today's single `series` object counts as one."""
    counted = summary_value(report, "series")
    if isinstance(counted, int):
        return counted
    series = report.get("series")
    if isinstance(series, list):
        return len(series)
    return 1 if isinstance(series, dict) else None


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def traceback_of(stderr: str) -> dict | None:
    if "Traceback" not in stderr:
        return None
    lines = [line for line in stderr.splitlines() if line.strip()]
    frames = [line.strip() for line in lines if line.lstrip().startswith('File "')]
    return {"last": lines[-1].strip(), "where": frames[-1] if frames else ""}


def check_each(files: list[Path], args: argparse.Namespace) -> list[dict]:
    runs, progress = [], Progress(len(files))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_toolkit, args.toolkit, path, args.timeout) for path in files]
        for future in concurrent.futures.as_completed(futures):
            runs.append(compact_run(future.result()))
            progress.step()
    progress.close()
    return sorted(runs, key=lambda run: run["file"])


class Progress:
    """One self-overwriting line on a terminal; silent when stderr is a pipe or a file."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.live = sys.stderr.isatty()

    def step(self) -> None:
        self.done += 1
        if self.live:
            rate = self.done / max(time.monotonic() - self.started, 1e-9)
            sys.stderr.write(f"\r{self.done}/{self.total} files, {rate:.1f}/s ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\n")


def mboxrd_entry(raw: bytes) -> bytes:
    """A file that already is an mbox goes in as it is; a bare mail gets a separator and escapes."""
    if raw.startswith(b"From "):
        body = raw
    else:
        lines = raw.split(b"\n")
        body = MBOXRD_SEPARATOR + b"\n".join(b">" + l if FROM_LINE.match(l) else l for l in lines)
    # A blank line must end each message, or the next separator is read as body text.
    return body.rstrip(b"\n") + b"\n\n"


def build_mbox(files: list[Path], target) -> tuple[int, list[tuple[int, str]]]:
    """Write all files into `target`; return the mail count and where each file starts (line)."""
    mails, line, starts = 0, 1, []
    for path in files:
        raw = path.read_bytes()
        mails += count_mails(raw)
        entry = mboxrd_entry(raw)
        starts.append((line, str(path)))
        target.write(entry)
        line += entry.count(b"\n")
    return mails, starts


def check_as_one(files: list[Path], args: argparse.Namespace) -> tuple[int, dict]:
    with tempfile.NamedTemporaryFile(suffix=".mbox", delete=False) as handle:
        mails, starts = build_mbox(files, handle)
    try:
        run = run_toolkit(args.toolkit, Path(handle.name), args.timeout * MBOX_TIMEOUT_FACTOR)
    finally:
        os.unlink(handle.name)
    result = compact_run(run)
    for finding in result["findings"]:
        finding["source"] = source_of(finding.get("line"), starts)
    return mails, result


def source_of(line, starts: list[tuple[int, str]]) -> str | None:
    """The corpus file a line of the joined mbox came from, so its findings can be traced back."""
    if not isinstance(line, int):
        return None
    best = None
    for start, path in starts:
        if start > line:
            break
        best = path
    return best


def exit_class(code) -> str:
    if code == "timeout":
        return "timeout"
    return str(code) if code in (0, 1, 2) else "other"


def normalise(text: str) -> str:
    text = re.sub(r"(?:[\w.+-]*/)+[\w.+-]+", "PATH", text)
    return re.sub(r"\d+", "N", text)


def rule_levels(runs: list[dict]) -> dict[str, dict[str, int]]:
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for run in runs:
        for finding in run["findings"]:
            table[str(finding["rule"])][str(finding["level"])] += 1
    return {rule: dict(levels) for rule, levels in sorted(table.items())}


def traceback_summary(runs: list[dict]) -> dict:
    broken = [run for run in runs if run["traceback"]]
    return {"count": len(broken),
            "first": [{"file": run["file"], "last": run["traceback"]["last"],
                       "where": run["traceback"]["where"]} for run in broken[:5]]}


def exit2_summary(runs: list[dict]) -> dict:
    failed = [run for run in runs if run["exit"] == 2]
    causes, example = collections.Counter(), {}
    for run in failed:
        cause = normalise(run["stderr_first"])
        causes[cause] += 1
        example.setdefault(cause, run["file"])
    return {"count": len(failed),
            "top": [{"cause": cause, "count": n, "example": example[cause]}
                    for cause, n in causes.most_common(10)]}


def total_of(runs: list[dict], key: str):
    values = [run[key] for run in runs if isinstance(run[key], int)]
    return sum(values) if values else "n/a"


def summarise(runs: list[dict], mails: int, one: dict, seconds: float) -> dict:
    histogram = collections.Counter(exit_class(run["exit"]) for run in runs)
    return {"files": len(runs), "mails": mails,
            "series": total_of(runs, "series"), "patches": total_of(runs, "patches"),
            "exit_codes": {name: histogram.get(name, 0) for name in EXIT_CLASSES},
            "one_mbox": {"exit": one["exit"], "seconds": one["seconds"],
                         "series": one["series"] if one["series"] is not None else "n/a",
                         "patches": one["patches"] if one["patches"] is not None else "n/a",
                         "traceback": one["traceback"], "stderr_first": one["stderr_first"],
                         "findings": rule_levels([one])},
            "tracebacks": traceback_summary(runs), "exit2": exit2_summary(runs),
            "findings": rule_levels(runs),
            "seconds": round(seconds, 1), "mails_per_second": round(mails / max(seconds, 1e-9), 1)}


def print_summary(summary: dict) -> None:
    one = summary["one_mbox"]
    print(f"files {summary['files']}  mails {summary['mails']}  series {summary['series']}  "
          f"patches checked {summary['patches']}")
    print("exit codes (alone): " + "  ".join(f"{k}={v}" for k, v in summary["exit_codes"].items()))
    failed = f", stderr: {one['stderr_first']}" if one["exit"] not in (0, 1) else ""
    print(f"one mbox: exit {one['exit']} in {one['seconds']} s, series {one['series']}, "
          f"patches {one['patches']}{failed}")
    print_tracebacks(summary["tracebacks"], one)
    print_exit2(summary["exit2"])
    print_rules("findings (alone runs)", summary["findings"])
    print_rules("findings (one mbox)", one["findings"])
    print(f"total {summary['seconds']} s, {summary['mails_per_second']} mails/s")


def print_tracebacks(tracebacks: dict, one: dict) -> None:
    print(f"tracebacks: {tracebacks['count']}")
    for item in tracebacks["first"]:
        print(f"  {item['file']}: {item['last']}")
    if one["traceback"]:
        print(f"  (one mbox) {one['traceback']['last']}")


def print_exit2(exit2: dict) -> None:
    print(f"exit-2 files: {exit2['count']}")
    for item in exit2["top"]:
        print(f"  {item['count']:6d}  {item['cause']}  (e.g. {item['example']})")


def print_rules(title: str, table: dict) -> None:
    print(f"{title}:" + ("" if table else " none"))
    for rule, levels in table.items():
        counts = ", ".join(f"{level} {n}" for level, n in sorted(levels.items()))
        print(f"  {rule:32s} {counts}")


def print_samples(runs: list[dict], specs: list[str]) -> None:
    rng = random.Random(SAMPLE_SEED)
    for spec in specs:
        rule, _, count = spec.partition(":")
        pool = [f for run in runs for f in run["findings"] if f["rule"] == rule]
        picked = rng.sample(pool, min(len(pool), int(count or 5)))
        print(f"sample of {rule}: {len(picked)} of {len(pool)}")
        for finding in picked:
            print(f"  {finding['path']}:{finding['line']}: {finding['message']}")
            print(f"    | {line_at(finding['path'], finding['line'])}")


def line_at(path, line) -> str:
    if not path or not isinstance(line, int):
        return "(no line)"
    try:
        with open(path, "rb") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    return text.decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return "(unreadable)"
    return "(past the end)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    files = mail_files(args.dir, args.limit)
    if not files:
        print(f"no mail files under {args.dir}", file=sys.stderr)
        return 2
    started = time.monotonic()
    runs = check_each(files, args)
    mails, one = check_as_one(files, args)
    summary = summarise(runs, mails, one, time.monotonic() - started)
    print_summary(summary)
    print_samples(runs, args.sample)
    if args.out:
        result = {**summary, "runs": runs, "one_mbox_run": one}
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
