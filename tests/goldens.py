"""Write every golden artefact anew from what the toolkit does now, then show the difference (`make goldens`).

    .venv/bin/python tests/goldens.py

The golden files are: the findings of tests/data/check/<case>.expected, the b4, SARIF and GitHub
outputs of tests/data/outputs/, the generated code of tests/data/codegen/ (cases.toml), and the
shipped reference model toolkit/states/reference.json. Each is written as its test reads it
(the comment lines at the top of a file are kept), in the rules the test pins; `git diff` then
shows what changed, for a reviewer to judge: a golden file is right only when the change is.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
OUTPUTS = TESTS / "data" / "outputs"
for folder in (TESTS, TESTS / "checks", TESTS / "report", TESTS / "codegen"):
    sys.path.insert(0, str(folder))

from toolkit.cli import main  # noqa: E402 - after the test folders are on the path


def _comments(path: Path) -> list[str]:
    """The comment lines a golden file opens with (what the case is about), kept as they are."""
    if not path.exists():
        return ["# (say what this case is about)"]
    lines = path.read_text().splitlines()
    return lines[:next((k for k, line in enumerate(lines) if not line.startswith("#")),
                       len(lines))]


def _write(path: Path, rows: list[str]) -> None:
    path.write_text("\n".join([*_comments(path), *rows]) + "\n")


def _table(rows: list[tuple]) -> list[str]:
    """Rows of words in columns as wide as their widest word (the last column unpadded)."""
    cells = [["-" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))] if cells else []
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in cells]


def _output(argv: list[str], stdin: bytes | None = None) -> str:
    out = io.StringIO()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(argv)
    finally:
        sys.stdin = saved
    return out.getvalue()


def check_cases() -> None:
    import test_check_golden as golden

    from toolkit.checks import catalogue
    from toolkit.mail import read_messages
    from toolkit.series.assemble import group

    for case in golden.CASES:
        path = str(golden.DATA / f"{case}.mbox")
        rows = []
        for series in group(read_messages(path), path).series:
            for f in catalogue.run(series):         # in mbox order, as a reader goes through
                row = (f.rule, f.patch.index if f.patch else None,
                       f.mbox_at.line if f.mbox_at else None,
                       f.file_at.path if f.file_at else None,
                       f.file_at.line if f.file_at else None)
                rows.append(" ".join("-" if v is None else str(v) for v in row))
        _write(golden.DATA / f"{case}.expected", rows)


def outputs() -> None:
    import test_b4
    import test_github
    import test_sarif

    from toolkit.report import sarif

    for case in test_b4.CASES:
        text = _output(["check", "-", "--format", "b4", *test_b4.PINNED],
                       (OUTPUTS / f"{case}.eml").read_bytes())
        _write(OUTPUTS / f"{case}.expected", text.splitlines())
    for case in test_sarif.SARIF_CASES:
        mbox = OUTPUTS / f"{case}.mbox"
        log = json.loads(_output(["check", str(mbox), "--format", "sarif", *test_sarif.PINNED]))
        rows = []
        for rule, level, primary, related in test_sarif._rows(log, sarif._uri(str(mbox))):
            uri, _, line = primary.partition(":")
            rows.append((rule, level, uri, line or None, related[0] if related else None))
        _write(OUTPUTS / f"{case}.sarif.expected", _table(rows))
    mbox = OUTPUTS / "review.mbox"
    text = _output(["check", str(mbox), "--format", "github", *test_github.PINNED])
    _write(OUTPUTS / "review.github", text.replace(str(mbox), "{mbox}").splitlines())


def codegen() -> None:
    import test_render

    for case in test_render.CASES:
        (test_render.DATA / case["golden"]).write_text(test_render.rendered(case))


def reference_model() -> None:
    from toolkit.states import reference

    reference.write_shipped()


def main_() -> int:
    for make in (check_cases, outputs, codegen, reference_model):
        make()
        print(f"written: {make.__name__}")
    golden = ["tests/data", "toolkit/states/reference.json"]
    changed = subprocess.run(["git", "diff", "--stat", "--", *golden], cwd=ROOT,
                             capture_output=True, text=True).stdout
    print(changed or "no golden file changed")
    if changed:
        subprocess.run(["git", "--no-pager", "diff", "--", *golden], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
