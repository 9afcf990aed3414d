"""`b4 prep --check` with the toolkit as its per-patch check command, end to end, as README
configures it; and `--tree` on a branch that already holds the series being checked."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepos import git
from toolkit.cli import main

BIN = Path(sys.executable).parent
B4 = shutil.which("b4") or str(BIN / "b4")

pytestmark = [pytest.mark.skipif(shutil.which("git") is None, reason="git not found"),
              pytest.mark.skipif(not Path(B4).exists(),
                                 reason="b4 is not installed (make test installs it)")]


@pytest.fixture
def prep_branch(tmp_path, isolated_git):
    """A b4 prep branch of two patches on a small tree: the first clean, the second with
    trailing white space on line 3 of poke.c."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "poke.c").write_text("int poke(void)\n{\n\treturn 0;\n}\n")
    git(repo, "add", "poke.c")
    git(repo, "commit", "-qm", "base")
    b4(repo, "prep", "-n", "poke-count")
    for value, space in ((1, ""), (2, " ")):
        (repo / "poke.c").write_text(f"int poke(void)\n{{\n\treturn {value};{space}\n}}\n")
        git(repo, "commit", "-qam", f"x86/poke: return {value}\n\nCount the pokes.\n\n"
            "Signed-off-by: Test Author <author@example.org>")
    return repo


def b4(repo: Path, *args: str) -> str:
    # the toolkit on PATH, as README's `pip install .` or `pipx install .` leaves it
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    done = subprocess.run([B4, "--offline-mode", *args], cwd=repo, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("tree", [[], ["--tree", "."]])
def test_b4_prep_check_runs_the_toolkit_on_each_patch(prep_branch, tree):
    git(prep_branch, "config", "b4.prep-perpatch-check-cmd",
        " ".join(["toolkit", "check", "-", "--format", "b4", *tree]))
    said = b4(prep_branch, "prep", "--check")
    assert "toolkit: poke.c:3: ERROR:TRAILING_WHITESPACE: trailing whitespace" in said
    assert "Success: 1, Warning: 0, Error: 1" in said
    assert "PATCH_DOES_NOT_APPLY" not in said


def test_a_branch_that_holds_the_series_is_judged_at_each_patch_parent(prep_branch, tmp_path,
                                                                        capsys, monkeypatch):
    series = tmp_path / "series.mbox"
    series.write_text(git(prep_branch, "format-patch", "--stdout", "HEAD~2"))
    monkeypatch.chdir(prep_branch)
    code = main(["check", str(series), "--tree", ".", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["findings"]
    held = git(prep_branch, "rev-parse", "HEAD~1").strip()
    assert code == 1
    assert sorted((f["rule"], f["level"], f["patch"]["index"]) for f in found) == [
        ("PATCH_DOES_NOT_APPLY", "note", 1), ("TRAILING_WHITESPACE", "error", 2)]
    assert held[:12] in next(f["message"] for f in found if f["rule"] == "PATCH_DOES_NOT_APPLY")
