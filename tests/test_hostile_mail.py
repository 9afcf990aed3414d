"""Every hostile mail of tests/hostilemail.py, at a small size: a finding or a clean exit, never a traceback.

(Their time and memory at full size are measured by bench/bench_hostile.py, not here.)
"""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hostilemail import CASES
from toolkit import __version__, cli

assert CASES, "no hostile mail cases: an empty table would pass vacuously"
# The heavier rows: a compiler bomb, and mails cut at their line cap.
SLOW = {"constexpr-bomb", "hunk-lines", "qp-soft-breaks"}


def _feed(path: str, data: bytes) -> threading.Thread:
    def write():
        with open(path, "wb") as fifo:
            fifo.write(data)
    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] * (
    c.name in SLOW)) for c in CASES])
def test_a_hostile_mail_ends_in_a_finding_or_a_clean_exit(case, tmp_path, capsys):
    arguments, feed = case.make(tmp_path, case.small)
    if "--format" not in arguments:
        arguments += ["--format", "json"]
    if arguments[0] == "/dev/stdin":
        # standard input of a process of its own: this one's belongs to pytest
        done = subprocess.run([sys.executable, "-m", "toolkit", "check", *arguments],
                              input=feed, capture_output=True, timeout=60)
        code, out, err = done.returncode, done.stdout.decode(), done.stderr.decode()
    else:
        if feed is not None:
            _feed(arguments[0], feed)
        try:
            code = cli.main(["check", *arguments])
        except SystemExit as refused:       # argparse refusing an option
            code = refused.code
        out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code in case.exits, err
    if code == 2:
        assert err.strip() and "toolkit" in err.splitlines()[-1]
    if case.finding is not None:
        rules = {finding["rule"] for finding in json.loads(out)["findings"]}
        assert case.finding in rules


def test_the_cases_name_each_reproducer_once():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


def test_an_internal_error_has_its_own_exit_code_and_one_line(monkeypatch, capsys):
    from toolkit.checks import catalogue

    def broken(*_, **__):
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalogue, "run", broken)
    mbox = str(Path(__file__).parents[1] / "patches" / "int3-call-emulation-v1.mbox")
    assert cli.main(["check", mbox, "--jobs", "1"]) == cli.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and mbox in err and __version__ in err and "Traceback" not in err
    assert cli.main(["check", mbox, "--jobs", "1", "--debug"]) == cli.INTERNAL_ERROR
    assert "Traceback" in capsys.readouterr().err
