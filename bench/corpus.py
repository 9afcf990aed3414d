"""Run `toolkit check` over a corpus of real mail, summarise it by list and family, and measure precision.

Usage:
    python bench/corpus.py run DIR [--toolkit PATH] [--jobs N] [--timeout S] [--limit N]
                                   [--each N|all] [--sample RULE:K] [--out FILE.json]
    python bench/corpus.py sample RESULTS.json [--labels TSV] [--per K] [--to-label TSV]
    python bench/corpus.py label TO_LABEL.tsv [--labels TSV]
    python bench/corpus.py table RESULTS.json [--labels TSV] [--out TABLE.md]
    python bench/corpus.py DIR ...          (the same as `run DIR ...`)

`run`: DIR holds one folder per list (as bench/corpus_lists.py writes it, with MANIFEST.tsv naming
each file's list, hosting family, Message-ID and whether it is a patch mail); without a manifest a
list is the first folder under DIR. Every list is joined into one mboxrd file in name order and
checked in one run (`--format json --jobs N`), as a user checks a list archive; findings are traced
back to the mail file and its Message-ID. Then up to --each files per list (default 100; `all`;
0 for none) are checked alone, N at a time, for exit codes and tracebacks on single mails. The
summary (stdout) gives per family the mails, series, patches, exit codes and tracebacks, and the
findings per rule and level per 1,000 mails; --out writes everything as JSON for the commands below.

`sample`: for each rule at warning or error level and each family, picks up to --per findings
(those already judged in --labels count first), writes the unjudged ones to --to-label (outside
the repository: it holds excerpts of the mails) and shows each with the excerpt needed to judge.
`label`: copies the judged rows of a to-label file (verdict right|wrong and a reason filled in)
into --labels, which keeps only message_id, rule, key, verdict and reason.
`table`: joins the labels to the findings of a run (by message_id, rule and key, so labels carry
over to every later run in which the finding persists) and writes the precision table as markdown.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "precision"))
import labelling  # noqa: E402  (bench/precision/labelling.py: sampling, labels, the table)

MAIL_SUFFIXES = {".eml", ".mbox", ".patch", ".mbx"}
# The runner's own outputs and the corpus' bookkeeping live next to the mail.
SKIP_SUFFIXES = {".json", ".py", ".txt", ".md", ".tsv"}
SKIP_PREFIXES = ("MANIFEST", "README", "FINDINGS")
MBOXRD_SEPARATOR = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n"
FROM_LINE = re.compile(rb"^>*From ")
# A list's one-mbox run reads every mail of it at once, so it gets far more time than one file.
MBOX_TIMEOUT_FACTOR = 10
EXIT_CLASSES = ("0", "1", "2", "other", "timeout")
SAMPLE_SEED = 1
LEVELS = ("error", "warning", "check", "note")
COMMANDS = ("run", "sample", "label", "table")


def parse_args(argv: list[str]) -> argparse.Namespace:
    repo_root = Path(__file__).resolve().parent.parent
    labels = repo_root / "bench" / "precision" / "labels.tsv"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="check the corpus and summarise")
    run.add_argument("dir", type=Path, help="folder of mail files (searched recursively)")
    run.add_argument("--toolkit", default=str(repo_root / ".venv" / "bin" / "toolkit"),
                     help="the toolkit executable (default: .venv/bin/toolkit of this repo)")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    run.add_argument("--timeout", type=float, default=120.0, help="seconds per single-mail run")
    run.add_argument("--limit", type=int, help="take only the first N files of each list")
    run.add_argument("--each", default="100", help="files per list also checked alone (N or all)")
    run.add_argument("--sample", action="append", default=[], metavar="RULE:K",
                     help="print K random findings of RULE per family")
    run.add_argument("--out", type=Path, help="also write the results as JSON here")
    sample = commands.add_parser("sample", help="write a to-label file of sampled findings")
    sample.add_argument("results", type=Path)
    sample.add_argument("--labels", type=Path, default=labels)
    sample.add_argument("--per", type=int, default=20, help="findings per rule and family")
    sample.add_argument("--levels", default="error,warning")
    sample.add_argument("--to-label", type=Path, default=Path("/work/corpus/.precision/to-label.tsv"))
    sample.add_argument("--quiet", action="store_true", help="do not show the excerpts")
    label = commands.add_parser("label", help="copy judged rows of a to-label file into the labels")
    label.add_argument("to_label", type=Path)
    label.add_argument("--labels", type=Path, default=labels)
    table = commands.add_parser("table", help="write the precision table")
    table.add_argument("results", type=Path)
    table.add_argument("--labels", type=Path, default=labels)
    table.add_argument("--levels", default="error,warning")
    table.add_argument("--out", type=Path, default=labels.parent / "TABLE.md")
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv = ["run", *argv]
    return parser.parse_args(argv)


def is_mail_file(path: Path) -> bool:
    if path.name.startswith(SKIP_PREFIXES) or path.suffix in SKIP_SUFFIXES:
        return False
    if any(part.startswith(".") for part in path.parts[-2:]):
        return False
    if path.suffix in MAIL_SUFFIXES or path.name == "m":
        return True
    return path.suffix == "" and "fuzz" in path.parts


def load_manifest(root: Path) -> dict[str, dict]:
    """file (relative to root) -> its row of MANIFEST.tsv; empty when there is none."""
    path = root / "MANIFEST.tsv"
    if not path.exists():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    columns = lines[0].split("\t")
    rows = (dict(zip(columns, line.split("\t"))) for line in lines[1:] if line)
    return {row["file"]: row for row in rows}


def corpus_lists(root: Path, manifest: dict, limit: int | None) -> dict[str, dict]:
    """list name -> {family, files}: by the manifest, else by the first folder under root."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and is_mail_file(p))
    lists: dict[str, dict] = {}
    for path in files:
        relative = path.relative_to(root).as_posix()
        row = manifest.get(relative)
        name = row["list"] if row else (relative.split("/")[0] if "/" in relative else root.name)
        entry = lists.setdefault(name, {"family": row["family"] if row else name, "files": []})
        entry["files"].append(path)
    for entry in lists.values():
        entry["files"] = entry["files"][:limit] if limit is not None else entry["files"]
    return lists


def count_mails(raw: bytes) -> int:
    """An mbox holds one mail per separator line; anything else is a single mail."""
    if not raw.startswith(b"From "):
        return 1
    return sum(1 for line in raw.split(b"\n") if line.startswith(b"From "))


def run_toolkit(toolkit: str, path: Path, timeout: float, jobs: int | None = None) -> dict:
    command = [toolkit, "check", "--format", "json", str(path)]
    if jobs:
        command[2:2] = ["--jobs", str(jobs)]
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)
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
            "skipped": summary_value(report, "skipped"),
            "findings": [compact_finding(f) for f in listed(report, "findings")]}


def listed(report: dict, key: str) -> list[dict]:
    items = report.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def compact_finding(finding: dict) -> dict:
    where = finding.get("mbox") or finding.get("mbox_at") or {}
    patch = finding.get("patch") or {}
    evidence = finding.get("evidence") or {}
    return {"rule": finding.get("rule"), "level": finding.get("level"),
            "message": finding.get("message"),
            "path": where.get("path") if isinstance(where, dict) else None,
            "line": where.get("line") if isinstance(where, dict) else None,
            "patch": patch.get("subject") if isinstance(patch, dict) else None,
            "msgid": patch.get("msgid") if isinstance(patch, dict) else None,
            "evidence": evidence.get("line") if isinstance(evidence, dict) else None,
            "series": finding.get("series")}


def compact_series(series: dict) -> dict:
    """Enough of a series to judge a numbering finding: its revisions and the mails in it."""
    mails = [series.get("cover")] + (series.get("patches") or [])
    return {"id": series.get("id"), "revision": series.get("revision"),
            "revisions": series.get("revisions"), "total": series.get("total"),
            "missing": series.get("missing"),
            "mails": [[m.get("index"), m.get("msgid"), m.get("subject")]
                      for m in mails if isinstance(m, dict)]}


def summary_value(report: dict, key: str):
    summary = report.get("summary")
    return summary.get(key) if isinstance(summary, dict) else None


def series_count(report: dict) -> int | None:
    """`summary.series` when the tool says it; a single `series` object counts as one."""
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


def check_each(files: list[Path], args: argparse.Namespace) -> list[dict]:
    runs, progress = [], Progress(len(files))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_toolkit, args.toolkit, path, args.timeout) for path in files]
        for future in concurrent.futures.as_completed(futures):
            runs.append(compact_run(future.result()))
            progress.step()
    progress.close()
    return sorted(runs, key=lambda run: run["file"])


def each_files(files: list[Path], each: str) -> list[Path]:
    """The files of one list checked alone: all, none, or N spread evenly over the list."""
    if each == "all":
        return files
    count = int(each)
    if count <= 0:
        return []
    step = max(1, len(files) // count)
    return files[::step][:count]


def mboxrd_entry(raw: bytes) -> bytes:
    """A file that already is an mbox goes in as it is; a bare mail gets a separator and escapes."""
    if raw.startswith(b"From "):
        body = raw
    else:
        lines = raw.split(b"\n")
        body = MBOXRD_SEPARATOR + b"\n".join(b">" + l if FROM_LINE.match(l) else l for l in lines)
    # A blank line must end each message, or the next separator is read as body text.
    return body.rstrip(b"\n") + b"\n\n"


def build_mbox(files: list[Path], target) -> tuple[int, list[tuple[int, str, int]]]:
    """Write all files into `target`; return the mail count and (start line, file, lines added)."""
    mails, line, starts = 0, 1, []
    for path in files:
        raw = path.read_bytes()
        mails += count_mails(raw)
        entry = mboxrd_entry(raw)
        starts.append((line, str(path), 0 if raw.startswith(b"From ") else 1))
        target.write(entry)
        line += entry.count(b"\n")
    return mails, starts


def check_list(name: str, entry: dict, args: argparse.Namespace, manifest: dict) -> dict:
    """One list as one mbox: the run, its series, and each finding traced to its mail file."""
    with tempfile.NamedTemporaryFile(suffix=".mbox", delete=False) as handle:
        mails, starts = build_mbox(entry["files"], handle)
    try:
        run = run_toolkit(args.toolkit, Path(handle.name), args.timeout * MBOX_TIMEOUT_FACTOR,
                          jobs=args.jobs)
    finally:
        os.unlink(handle.name)
    result = compact_run(run)
    result["series_list"] = [compact_series(s) for s in listed(run["report"] or {}, "series")]
    result.update(list=name, family=entry["family"], mails=mails,
                  patch_mails=sum(int(manifest.get(rel(p, args.dir), {}).get("is_patch", 0))
                                  for p in entry["files"]))
    for finding in result["findings"]:
        place(finding, starts, args.dir, manifest)
        finding.update(list=name, family=entry["family"])
    return result


def rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def place(finding: dict, starts: list[tuple[int, str, int]], root: Path, manifest: dict) -> None:
    """Add the corpus file, its line, the mail's Message-ID and the finding's label key."""
    source = source_of(finding.get("line"), starts)
    finding["file"] = rel(Path(source[1]), root) if source else None
    finding["file_line"] = finding["line"] - source[0] - source[2] + 1 if source else None
    message_id = finding.get("msgid")
    if message_id:
        message_id = f"<{message_id.strip('<>')}>"
    elif finding["file"] in manifest:
        message_id = manifest[finding["file"]]["message_id"]
    finding["message_id"] = message_id or finding.get("series")
    line_text = finding.get("evidence") or ""
    if not line_text and finding["file"] and finding["file_line"]:
        line_text = labelling.line_at(root / finding["file"], finding["file_line"])
    finding["key"] = finding_key(finding.get("message") or "", line_text)


def finding_key(message: str, line_text: str) -> str:
    """The finding's message without its names and numbers, and a digest of the line it points at."""
    # Greedy: a quoted name can itself hold quotes ("''Jane' <list@host>'"), and no name may stay.
    text = re.sub(r"'.*'|\".*\"", "Q", message)
    text = re.sub(r"<[^>]*@[^>]*>", "A", text)
    words = normalise(text).split()
    digest = hashlib.sha1(" ".join(line_text.split()).encode()).hexdigest()[:8]
    return f"{' '.join(words)[:60]}@{digest}"


def source_of(line, starts: list[tuple[int, str, int]]):
    """The corpus file entry a line of the joined mbox came from, so a finding can be traced back."""
    if not isinstance(line, int):
        return None
    best = None
    for start in starts:
        if start[0] > line:
            break
        best = start
    return best


def exit_class(code) -> str:
    if code == "timeout":
        return "timeout"
    return str(code) if code in (0, 1, 2) else "other"


def normalise(text: str) -> str:
    text = re.sub(r"(?:[\w.+-]*/)+[\w.+-]+", "PATH", text)
    return re.sub(r"\d+", "N", text)


def rule_levels(findings: list[dict]) -> dict[str, dict[str, int]]:
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for finding in findings:
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


def family_summary(lists: list[dict], each: list[dict]) -> dict[str, dict]:
    """Per family: mails, series, patches, exit codes of both kinds of run, findings per 1,000 mails."""
    families: dict[str, dict] = {}
    for result in lists:
        family = families.setdefault(result["family"], {
            "lists": [], "mails": 0, "patch_mails": 0, "series": 0, "patches": 0, "skipped": 0,
            "list_exits": collections.Counter(), "each_exits": collections.Counter(),
            "tracebacks": 0, "findings": []})
        family["lists"].append(result["list"])
        for key in ("mails", "patch_mails", "series", "patches", "skipped"):
            family[key] += result[key] if isinstance(result[key], int) else 0
        family["list_exits"][exit_class(result["exit"])] += 1
        family["tracebacks"] += bool(result["traceback"])
        family["findings"].extend(result["findings"])
    for run in each:
        family = families[run["family"]]
        family["each_exits"][exit_class(run["exit"])] += 1
        family["tracebacks"] += bool(run["traceback"])
    for family in families.values():
        counts = rule_levels(family.pop("findings"))
        family["per_1000"] = {rule: {level: round(1000 * n / max(family["mails"], 1), 1)
                                     for level, n in levels.items()}
                              for rule, levels in counts.items()}
        family["findings"] = counts
        family["list_exits"] = dict(family["list_exits"])
        family["each_exits"] = dict(family["each_exits"])
    return dict(sorted(families.items()))


def summarise(lists: list[dict], each: list[dict], seconds: float) -> dict:
    findings = [f for result in lists for f in result["findings"]]
    mails = sum(result["mails"] for result in lists)
    return {"lists": len(lists), "mails": mails,
            "series": sum(r["series"] or 0 for r in lists),
            "patches": sum(r["patches"] or 0 for r in lists),
            "families": family_summary(lists, each),
            "findings": rule_levels(findings),
            "each": {"files": len(each),
                     "exit_codes": dict(collections.Counter(exit_class(r["exit"]) for r in each)),
                     "tracebacks": traceback_summary(each), "exit2": exit2_summary(each)},
            "list_tracebacks": traceback_summary(lists),
            "seconds": round(seconds, 1), "mails_per_second": round(mails / max(seconds, 1e-9), 1)}


def print_summary(summary: dict, lists: list[dict]) -> None:
    print(f"{summary['lists']} lists, {summary['mails']} mails, {summary['series']} series, "
          f"{summary['patches']} patches checked; {summary['seconds']} s "
          f"({summary['mails_per_second']} mails/s)")
    print("\nper list (one mbox each): exit, seconds, mails, patch mails, series, patches, skipped")
    for r in lists:
        problem = f"  stderr: {r['stderr_first']}" if r["exit"] not in (0, 1) else ""
        print(f"  {r['list']:44s} {r['family']:17s} {r['exit']!s:>7s} {r['seconds']:7.1f} "
              f"{r['mails']:6d} {r['patch_mails']:5d} {r['series'] or 0:5d} {r['patches'] or 0:5d} "
              f"{r['skipped'] or 0:5d}{problem}")
    print("\nper family: mails, patch mails, series, patches; exit codes of list runs | of single mails")
    for name, f in summary["families"].items():
        print(f"  {name:17s} {f['mails']:6d} {f['patch_mails']:5d} {f['series']:5d} {f['patches']:5d}  "
              f"{f['list_exits']} | {f['each_exits']}  tracebacks {f['tracebacks']}")
    each = summary["each"]
    print(f"\nsingle mails checked alone: {each['files']}, exit codes {each['exit_codes']}")
    for title, tracebacks in (("tracebacks (single mails)", each["tracebacks"]),
                              ("tracebacks (list runs)", summary["list_tracebacks"])):
        print(f"{title}: {tracebacks['count']}")
        for item in tracebacks["first"]:
            print(f"  {item['file']}: {item['last']}  ({item['where']})")
    for item in each["exit2"]["top"]:
        print(f"  exit 2: {item['count']:5d}  {item['cause']}  (e.g. {item['example']})")
    print_rate_matrix(summary["families"])


def print_rate_matrix(families: dict[str, dict]) -> None:
    names = list(families)
    rows = sorted({(rule, level) for f in families.values()
                   for rule, levels in f["per_1000"].items() for level in levels},
                  key=lambda rl: (rl[0], LEVELS.index(rl[1]) if rl[1] in LEVELS else 9))
    print("\nfindings per 1,000 mails (list runs), by family")
    print(f"  {'rule':27s} {'level':8s}" + "".join(f"{n[:11]:>12s}" for n in names))
    for rule, level in rows:
        cells = "".join(f"{families[n]['per_1000'].get(rule, {}).get(level, 0):12.1f}" for n in names)
        print(f"  {rule:27s} {level:8s}{cells}")


def print_samples(lists: list[dict], specs: list[str], root: Path) -> None:
    rng = random.Random(SAMPLE_SEED)
    for spec in specs:
        rule, _, count = spec.partition(":")
        by_family = collections.defaultdict(list)
        for result in lists:
            for finding in result["findings"]:
                if finding["rule"] == rule:
                    by_family[result["family"]].append(finding)
        for family, pool in sorted(by_family.items()):
            picked = rng.sample(pool, min(len(pool), int(count or 5)))
            print(f"\nsample of {rule} on {family}: {len(picked)} of {len(pool)}")
            for finding in picked:
                print(f"  {finding['file']}:{finding['file_line']}: {finding['message']}")
                print(f"    | {labelling.line_at(root / finding['file'], finding['file_line'])}"
                      if finding["file"] else "    | (no line)")


def command_run(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.dir)
    lists = corpus_lists(args.dir, manifest, args.limit)
    if not lists:
        print(f"no mail files under {args.dir}", file=sys.stderr)
        return 2
    started, results = time.monotonic(), []
    for name, entry in sorted(lists.items()):
        print(f"checking {name} ({len(entry['files'])} files)", file=sys.stderr)
        results.append(check_list(name, entry, args, manifest))
    singles = [(path, name, entry["family"]) for name, entry in sorted(lists.items())
               for path in each_files(entry["files"], args.each)]
    each = check_each([path for path, _, _ in singles], args)
    where = {str(path): (name, family) for path, name, family in singles}
    for run in each:
        name, family = where[run["file"]]
        run.update(list=name, family=family, file=rel(Path(run["file"]), args.dir))
    summary = summarise(results, each, time.monotonic() - started)
    print_summary(summary, results)
    print_samples(results, args.sample, args.dir)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        result = {**summary, "root": str(args.dir.resolve()), "toolkit_commit": toolkit_commit(args.toolkit),
                  "list_runs": results, "each_runs": each}
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


def toolkit_commit(toolkit: str) -> str:
    """The last package commit of the checkout whose .venv holds the executable: what was measured."""
    checkout = Path(toolkit).resolve().parent.parent.parent
    done = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s", "--", "toolkit"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "run":
        return command_run(args)
    if args.command == "sample":
        return labelling.command_sample(args)
    if args.command == "label":
        return labelling.command_label(args)
    return labelling.command_table(args)


if __name__ == "__main__":
    sys.exit(main())
