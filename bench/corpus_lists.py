"""Cut the newest mails of public-inbox list mirrors into a corpus folder, one mail per file.

Usage:
    python bench/corpus_lists.py MIRROR_GIT_DIR... [--out /work/corpus] [--count 1500]
                                 [--min-patches 300] [--max-count 6000]

Each MIRROR_GIT_DIR is a bare git directory in public-inbox layout (one message per commit, in the
file `m`), such as the snapshots under /work/.mirror/<owner>+<list>.<n>/repo. The newest --count
messages of each list are taken; when fewer than --min-patches of them are patch mails ("[PATCH"
in the subject and a diff in the body), older messages are added until there are, up to
--max-count. Taking a run of consecutive messages, rather than the patches alone, keeps the
threads around the patches: covers, replies, reviews, re-posts.

Written: OUT/<list>/<counter>.eml (oldest first, bytes exactly as archived), OUT/MANIFEST.tsv
(list, family, file, message_id, is_patch, date) and OUT/README saying what is there. A list
already in OUT is replaced; other lists there are kept, so lists can be added one run at a time.
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import re
import subprocess
import sys
from pathlib import Path

# The hosting infrastructure of a list, by the domain its address ends in; the first match wins.
FAMILIES = (
    ("vger.kernel.org", "vger"),
    ("googlegroups.com", "googlegroups"),
    ("lists.ozlabs.org", "ozlabs"),
    ("lists.freedesktop.org", "freedesktop"),
    ("lists.linux.dev", "linux.dev"),
    ("lists.linux-foundation.org", "linux-foundation"),
    ("lists.sourceforge.net", "sourceforge"),
    ("lists.infradead.org", "infradead"),
    ("redhat.com", "redhat"),
    ("lists.xenproject.org", "xenproject"),
)
MANIFEST_COLUMNS = ("list", "family", "file", "message_id", "is_patch", "date")
DIFF_START = re.compile(rb"^(?:diff --git |--- \S.*\n\+\+\+ \S.*\n@@ )", re.MULTILINE)
PATCH_SUBJECT = re.compile(r"\[[^\]]*PATCH", re.IGNORECASE)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mirrors", nargs="+", type=Path, help="bare git dirs in public-inbox layout")
    parser.add_argument("--out", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--count", type=int, default=1500, help="newest messages per list")
    parser.add_argument("--min-patches", type=int, default=300,
                        help="take older messages until this many patch mails are in")
    parser.add_argument("--max-count", type=int, default=6000, help="never more messages than this")
    return parser.parse_args(argv)


def list_name(mirror: Path) -> str:
    """`.../owner+linux-edac.vger.kernel.org.0/repo` -> `linux-edac.vger.kernel.org`."""
    folder = mirror.parent if mirror.name in ("repo", ".git") else mirror
    name = folder.name.split("+", 1)[-1]
    return re.sub(r"\.\d+$", "", name)


def family_of(name: str) -> str:
    for domain, family in FAMILIES:
        if name.endswith(domain):
            return family
    return name.split(".", 1)[-1] or name


def newest_messages(mirror: Path, max_count: int):
    """Yield the raw bytes of each message, newest first; a commit without `m` (a deletion) is skipped."""
    commits = subprocess.run(["git", "--git-dir", str(mirror), "rev-list", f"--max-count={max_count * 2}",
                              "HEAD"], capture_output=True, check=True, text=True).stdout.split()
    batch = subprocess.Popen(["git", "--git-dir", str(mirror), "cat-file", "--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for commit in commits:
            batch.stdin.write(f"{commit}:m\n".encode())
            batch.stdin.flush()
            header = batch.stdout.readline().split()
            if len(header) != 3:  # "<name> missing"
                continue
            raw = batch.stdout.read(int(header[2]))
            batch.stdout.read(1)  # the newline after each object
            yield raw
    finally:
        batch.stdin.close()
        batch.wait()


def describe(raw: bytes) -> tuple[str, str, bool]:
    """Message-ID, Date and whether the mail is a patch mail (patch subject and a diff)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    message_id = " ".join(str(message.get("Message-ID", "")).split())
    date = " ".join(str(message.get("Date", "")).split())
    subject = " ".join(str(message.get("Subject", "")).split())
    return message_id, date, bool(PATCH_SUBJECT.search(subject)) and has_diff(message)


def has_diff(message) -> bool:
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() not in ("text", "application"):
            continue
        body = part.get_payload(decode=True) or b""
        if DIFF_START.search(body):
            return True
    return False


def pick(mirror: Path, args: argparse.Namespace) -> list[tuple[bytes, str, str, bool]]:
    """Newest first: at least --count messages, more until --min-patches patches, at most --max-count."""
    taken, patches = [], 0
    for raw in newest_messages(mirror, args.max_count):
        message_id, date, is_patch = describe(raw)
        taken.append((raw, message_id, date, is_patch))
        patches += is_patch
        if len(taken) >= args.max_count or (len(taken) >= args.count and patches >= args.min_patches):
            break
    return taken


def write_list(out: Path, name: str, picked: list) -> list[tuple]:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    rows, family = [], family_of(name)
    for counter, (raw, message_id, date, is_patch) in enumerate(reversed(picked), 1):
        path = folder / f"{counter:05d}.eml"
        path.write_bytes(raw)
        rows.append((name, family, f"{name}/{path.name}", message_id, int(is_patch), date))
    return rows


def read_manifest(out: Path) -> list[tuple]:
    path = out / "MANIFEST.tsv"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if line]


def write_manifest(out: Path, rows: list[tuple]) -> None:
    text = "\t".join(MANIFEST_COLUMNS) + "\n"
    text += "".join("\t".join(clean(str(v)) for v in row) + "\n" for row in rows)
    (out / "MANIFEST.tsv").write_text(text, encoding="utf-8")


def clean(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ")


def write_readme(out: Path, rows: list[tuple]) -> None:
    per_list = collections.defaultdict(lambda: [0, 0, "", "", ""])
    for name, family, _file, _mid, is_patch, date in rows:
        entry = per_list[name]
        entry[0] += 1
        entry[1] += int(is_patch)
        entry[2] = family
        entry[3] = entry[3] or date
        entry[4] = date
    families = sorted({entry[2] for entry in per_list.values()})
    lines = [
        "Real mail corpus for toolkit's precision runs. Never commit any of it anywhere.",
        "",
        "One mail per file, bytes as the list archive (public-inbox git mirrors of the",
        "linux-mailinglist-archives snapshots in /work/.mirror) holds them: the newest messages of",
        "each list, numbered oldest first, so a list folder is a run of consecutive mails with the",
        "threads around its patches (covers, replies, reviews, re-posts).",
        "",
        "Made by bench/corpus_lists.py of the toolkit repository, e.g.",
        "    python bench/corpus_lists.py /work/.mirror/*/repo --out /work/corpus",
        "MANIFEST.tsv: list, family (hosting infrastructure), file, Message-ID, is_patch ([PATCH in the",
        "subject and a diff), Date. Checked with: python bench/corpus.py run /work/corpus --jobs 2",
        "(.precision/ here holds such runs and the to-label files with excerpts; keep them here too).",
        "",
        f"{len(per_list)} lists, {len(families)} families ({', '.join(families)}), "
        f"{len(rows)} mails, {sum(int(r[4]) for r in rows)} patch mails.",
        "",
        f"{'list':45s} {'family':18s} {'mails':>6s} {'patches':>7s}  first date .. last date",
    ]
    for name, (mails, patches, family, first, last) in sorted(per_list.items(), key=lambda i: (i[1][2], i[0])):
        lines.append(f"{name:45s} {family:18s} {mails:6d} {patches:7d}  {first} .. {last}")
    (out / "README").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = {list_name(mirror) for mirror in args.mirrors}
    rows = [row for row in read_manifest(args.out) if row[0] not in names]
    for mirror in args.mirrors:
        name = list_name(mirror)
        picked = pick(mirror, args)
        listed = write_list(args.out, name, picked)
        rows.extend(listed)
        patches = sum(row[4] for row in listed)
        print(f"{name}: {len(listed)} mails, {patches} patch mails", file=sys.stderr)
    rows.sort(key=lambda row: row[2])
    write_manifest(args.out, rows)
    write_readme(args.out, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
