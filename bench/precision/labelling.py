"""Sample findings of a corpus run for judging, keep the verdicts, and write the precision table.

Used by bench/corpus.py (`sample`, `label`, `table`). The committed labels (labels.tsv beside this
file) hold only a mail's Message-ID, the rule, the finding's key, the verdict and a reason in our
own words; the excerpts needed to judge are shown on screen and written next to the to-label file,
outside the repository.
"""

from __future__ import annotations

import collections
import datetime
import email
import email.policy
import json
import random
from pathlib import Path

LABEL_COLUMNS = ("message_id", "rule", "key", "verdict", "reason")
TO_LABEL_COLUMNS = LABEL_COLUMNS + ("level", "family", "list", "file", "file_line", "message")
VERDICTS = ("right", "wrong")
SAMPLE_SEED = 1
HEADERS = ("From", "X-Original-From", "Reply-To", "Sender", "Date", "Subject", "Message-ID",
           "In-Reply-To")
# Rules about the trailer block are judged on the end of the commit message and what follows it.
TRAILER_RULES = {"MISSING_SIGN_OFF", "NO_AUTHOR_SIGN_OFF", "SIGN_OFF_CHAIN", "BAD_CO_DEVELOPED_BY",
                 "CHANGELOG_ABOVE_SEPARATOR", "COMMIT_MESSAGE"}
BODY_LINES = 40
CONTEXT = 6


def line_at(path: Path, line) -> str:
    if not isinstance(line, int) or line < 1:
        return ""
    try:
        with open(path, "rb") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    return text.decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return ""
    return ""


def read_tsv(path: Path, columns: tuple[str, ...]) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t") if lines else list(columns)
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]


def write_tsv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\t".join(columns) + "\n"
    for row in rows:
        text += "\t".join(" ".join(str(row.get(c, "")).split()) for c in columns) + "\n"
    path.write_text(text, encoding="utf-8")


class Labels:
    """The verdicts, found by message_id+rule+key; when the wording changed, by the line digest,
    or for a finding without a line (a whole series) by the one such label of its mail and rule."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.exact = {(r["message_id"], r["rule"], r["key"]): r for r in rows}
        by_digest = collections.defaultdict(list)
        for row in rows:
            by_digest[(row["message_id"], row["rule"], row["key"].rpartition("@")[2])].append(row)
        self.by_digest = {k: v[0] for k, v in by_digest.items() if len(v) == 1}

    def find(self, finding: dict) -> dict | None:
        found = self.exact.get((finding["message_id"], finding["rule"], finding["key"]))
        if found:
            return found
        digest = finding["key"].rpartition("@")[2]
        return self.by_digest.get((finding["message_id"], finding["rule"], digest))


def load_labels(path: Path) -> Labels:
    return Labels([r for r in read_tsv(path, LABEL_COLUMNS) if r.get("verdict") in VERDICTS])


def findings_of(results: dict, levels: set[str]) -> list[dict]:
    """The findings of the list runs at these levels, each once (a key can repeat in one mail)."""
    seen, kept = set(), []
    for run in results["list_runs"]:
        for finding in run["findings"]:
            ident = (finding["message_id"], finding["rule"], finding["key"])
            if finding["level"] in levels and ident not in seen:
                seen.add(ident)
                kept.append(finding)
    return kept


def command_sample(args) -> int:
    results = json.loads(args.results.read_text())
    labels = load_labels(args.labels)
    pools = collections.defaultdict(list)
    for finding in findings_of(results, set(args.levels.split(","))):
        pools[(finding["rule"], finding["family"])].append(finding)
    picked = []
    for (rule, family), pool in sorted(pools.items()):
        judged = [f for f in pool if labels.find(f)]
        fresh = [f for f in pool if not labels.find(f)]
        wanted = max(0, args.per - len(judged))
        picked += random.Random(f"{SAMPLE_SEED}{rule}{family}").sample(fresh, min(wanted, len(fresh)))
    rows = [{**{c: f.get(c, "") for c in TO_LABEL_COLUMNS}, "verdict": "", "reason": ""}
            for f in picked]
    write_tsv(args.to_label, TO_LABEL_COLUMNS, rows)
    root = Path(results["root"])
    series = {s["id"]: s for run in results["list_runs"] for s in run.get("series_list", [])}
    texts = [excerpt(i, f, root, series) for i, f in enumerate(picked, 1)]
    args.to_label.with_suffix(".txt").write_text("\n".join(texts), encoding="utf-8")
    if not args.quiet:
        print("\n".join(texts))
    print(f"{len(picked)} findings to judge in {args.to_label} (excerpts: "
          f"{args.to_label.with_suffix('.txt')}); fill in verdict (right|wrong) and reason, then "
          f"run: bench/corpus.py label {args.to_label}")
    return 0


def excerpt(number: int, finding: dict, root: Path, series: dict) -> str:
    lines = [f"=== #{number} {finding['rule']} ({finding['level']}) on {finding['family']} / "
             f"{finding['list']}: {finding['file']}:{finding['file_line']}",
             f"    {finding['message']}", f"    key {finding['key']}"]
    if finding.get("evidence"):
        lines.append(f"    evidence: {finding['evidence']}")
    message = read_mail(root / finding["file"]) if finding.get("file") else None
    if message is not None:
        lines += [f"  {h}: {' '.join(str(message[h]).split())}" for h in HEADERS if message[h]]
        lines += body_excerpt(finding, body_lines(message))
    if finding["rule"] == "SERIES_NUMBERING":
        lines += series_excerpt(series.get(finding.get("series")), root)
    return "\n".join(lines) + "\n"


def read_mail(path: Path):
    try:
        return email.message_from_bytes(path.read_bytes(), policy=email.policy.compat32)
    except OSError:
        return None


def body_lines(message) -> list[str]:
    """The text parts of a mail, decoded by their transfer encoding and charset."""
    texts = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            texts.append(payload.decode(charset, "replace"))
        except LookupError:
            texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts).splitlines()


def body_excerpt(finding: dict, body: list[str]) -> list[str]:
    evidence = " ".join((finding.get("evidence") or "").split())
    at = next((i for i, line in enumerate(body) if evidence and " ".join(line.split()) == evidence),
              None)
    end = next((i for i, line in enumerate(body)
                if line.rstrip() == "---" or line.startswith("diff --git ")), len(body))
    if finding["rule"] in TRAILER_RULES:
        start, stop = max(0, end - 22), min(len(body), end + 4)
    elif at is not None:
        start, stop = max(0, at - CONTEXT), min(len(body), at + CONTEXT)
    else:
        start, stop = 0, min(len(body), BODY_LINES)
    shown = [f"  {'>>' if i == at else '  '}| {body[i][:180]}" for i in range(start, stop)]
    return ["  --- body lines %d-%d of %d (separator at %d)" % (start + 1, stop, len(body), end + 1)] + shown


def series_excerpt(entry: dict | None, root: Path) -> list[str]:
    if not entry:
        return ["  (series not in the run)"]
    lines = [f"  series {entry['id']} revision {entry['revision']} of {entry['revisions']}, "
             f"total {entry['total']}, missing {entry['missing']}"]
    for index, msgid, subject in entry["mails"]:
        lines.append(f"    {index!s:>3s} <{msgid}> {subject}")
    return lines


def command_label(args) -> int:
    judged = [r for r in read_tsv(args.to_label, TO_LABEL_COLUMNS) if r.get("verdict")]
    bad = [r for r in judged if r["verdict"] not in VERDICTS or not r.get("reason")]
    if bad:
        print(f"{args.to_label}: {len(bad)} rows need a verdict right|wrong and a reason, e.g. "
              f"{bad[0]['message_id']} {bad[0]['rule']}")
        return 2
    rows = read_tsv(args.labels, LABEL_COLUMNS)
    index = {(r["message_id"], r["rule"], r["key"]): r for r in rows}
    for row in judged:
        index[(row["message_id"], row["rule"], row["key"])] = {c: row[c] for c in LABEL_COLUMNS}
    merged = sorted(index.values(), key=lambda r: (r["rule"], r["message_id"], r["key"]))
    write_tsv(args.labels, LABEL_COLUMNS, merged)
    print(f"{len(judged)} verdicts copied; {len(merged)} labels in {args.labels}")
    return 0


def command_table(args) -> int:
    results = json.loads(args.results.read_text())
    labels = load_labels(args.labels)
    cells = collections.defaultdict(lambda: [0, 0, 0])
    wrong = collections.defaultdict(list)
    for finding in findings_of(results, set(args.levels.split(","))):
        label = labels.find(finding)
        for family in (finding["family"], "all"):
            cell = cells[(finding["rule"], finding["level"], family)]
            cell[0] += 1
            cell[1] += bool(label)
            cell[2] += bool(label) and label["verdict"] == "right"
        if label and label["verdict"] == "wrong":
            wrong[(finding["rule"], label["reason"])].append(finding)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = table_markdown(results, cells, args) + "\n".join(wrong_markdown(wrong)) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    return 0


def table_markdown(results: dict, cells: dict, args) -> str:
    families = results["families"]
    lines = [
        "# Precision of the warning and error findings on real list mail",
        "",
        f"Corpus: {results['lists']} lists, {len(families)} hosting families, {results['mails']} "
        f"mails ({sum(f['patch_mails'] for f in families.values())} patch mails), "
        f"{results['series']} series, {results['patches']} patches checked; each list checked "
        "as one mbox. Families: " + ", ".join(f"{name} ({', '.join(f['lists'])})"
                                              for name, f in families.items()) + ".",
        "",
        "fired: findings of the run (each message_id+rule+key once); judged: those with a verdict in "
        "labels.tsv (a sample of up to 20 per rule and family); right: a reviewer would agree the "
        "finding is true and worth saying. Rerun (corpus from bench/corpus_lists.py):",
        "",
        "    python bench/corpus.py run /work/corpus --jobs 2 --out /work/corpus/.precision/run.json",
        "    python bench/corpus.py sample /work/corpus/.precision/run.json   # then judge, then:",
        "    python bench/corpus.py label /work/corpus/.precision/to-label.tsv",
        "    python bench/corpus.py table /work/corpus/.precision/run.json",
        "",
        f"Written {datetime.date.today().isoformat()} from {args.results.name}.",
        "",
        "| rule | level | family | fired | judged | right | precision |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    order = sorted(cells, key=lambda k: (k[0], k[1], k[2] == "all", k[2]))
    for rule, level, family in order:
        fired, judged, right = cells[(rule, level, family)]
        share = f"{100 * right / judged:.0f}%" if judged else "-"
        name = f"**{family}**" if family == "all" else family
        lines.append(f"| {rule} | {level} | {name} | {fired} | {judged} | {right} | {share} |")
    lines += ["", "The **all** rows pool the judged sample; a family with many findings is capped at 20, "
              "so they are not weighted by how often each family fires.", ""]
    return "\n".join(lines + run_markdown(results)) + "\n"


def wrong_markdown(wrong: dict) -> list[str]:
    """The wrong findings by rule and reason, with the families and a Message-ID from each family."""
    lines = ["", "## Why the wrong ones are wrong", "",
             "| rule | judged wrong | families | reason | e.g. |", "|---|---:|---|---|---|"]
    for (rule, reason), found in sorted(wrong.items(), key=lambda item: (item[0][0], -len(item[1]))):
        families = collections.Counter(f["family"] for f in found)
        examples = {f["family"]: f["message_id"] for f in reversed(found)}
        shown = " ".join(f"`{examples[name]}`" for name in sorted(examples)[:3])
        named = ", ".join(f"{name} {n}" for name, n in sorted(families.items()))
        lines.append(f"| {rule} | {len(found)} | {named} | {reason} | {shown} |")
    return lines


def run_markdown(results: dict) -> list[str]:
    """The run itself: mails, series and exit codes per family, and findings per 1,000 mails."""
    families = results["families"]
    names = list(families)
    lines = ["## The run", "",
             f"Toolkit: {results.get('toolkit_commit', 'unknown')}; {results['seconds']} s for the whole run "
             "(lists as one mbox each, then up to --each single mails per list checked alone).", "",
             "| family | lists | mails | patch mails | series | patches checked | list runs: exit | "
             "single mails: exit | tracebacks |", "|---|---:|---:|---:|---:|---:|---|---|---:|"]
    for name, f in families.items():
        exits = [" ".join(f"{code}: {n}" for code, n in sorted(f[key].items()))
                 for key in ("list_exits", "each_exits")]
        lines.append(f"| {name} | {len(f['lists'])} | {f['mails']} | {f['patch_mails']} | {f['series']} "
                     f"| {f['patches']} | {exits[0]} | {exits[1]} | {f['tracebacks']} |")
    lines += ["", "Findings per 1,000 mails, by rule, level and family:", "",
              "| rule | level | " + " | ".join(names) + " |",
              "|---|---|" + "---:|" * len(names)]
    rows = sorted({(rule, level) for f in families.values()
                   for rule, levels in f["per_1000"].items() for level in levels})
    for rule, level in rows:
        cells = [f"{families[n]['per_1000'].get(rule, {}).get(level, 0):.1f}" for n in names]
        lines.append(f"| {rule} | {level} | " + " | ".join(cells) + " |")
    return lines
