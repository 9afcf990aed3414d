"""Changes never mailed, as real git prints them (git show, git log -p, git diff), checked as
patches; and a folder of patch files with one that is no mail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepos import git
from toolkit.checks import catalogue
from toolkit.mail import read_messages
from toolkit.series.assemble import group

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not found")


@pytest.fixture
def repo(tmp_path, isolated_git):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "poke.c").write_text("int poke(void)\n{\n\treturn 0;\n}\n")
    git(repo, "add", "poke.c")
    git(repo, "commit", "-qm", "base")
    (repo / "poke.c").write_text("int poke(void)\n{\n\treturn 1;\n}\n")
    git(repo, "commit", "-qam", "x86/poke: return one\n\nThe caller counts the pokes.\n\n"
        "Signed-off-by: Ann <ann@example.org>", "--author", "Ann <ann@example.org>")
    (repo / "poke.c").write_text("int poke(void)\n{\n\treturn 2; \n}\n")
    git(repo, "commit", "-qam", "x86/poke: return two\n\nThe funtion counts twice.")
    return repo


def findings(path: Path):
    archive = group(read_messages(str(path)), str(path))
    return archive, [(f.rule, f.patch.index, f.file_at.line if f.file_at else None)
                     for s in archive.series for f in catalogue.run(s)]


def test_git_log_p_is_one_series_oldest_first(repo, tmp_path):
    text = tmp_path / "log.txt"
    text.write_text(git(repo, "log", "-p", "-2"))
    archive, found = findings(text)
    (series,) = archive.series
    assert [(p.index, p.subject, p.author.email) for p in series.patches] == [
        (1, "x86/poke: return one", "ann@example.org"),
        (2, "x86/poke: return two", "author@example.org")]
    # one note says the file is git's text; the second commit lacks a sign-off, has a typo in
    # its message and trailing white space on line 3 of poke.c
    assert sorted(found) == sorted([("MAIL_DECODING", 1, None), ("MISSING_SIGN_OFF", 2, None),
                                    ("TYPO_SPELLING", 2, None),
                                    ("TRAILING_WHITESPACE", 2, 3)])


def test_git_show_is_one_patch(repo, tmp_path):
    text = tmp_path / "show.txt"
    text.write_text(git(repo, "show", "HEAD~1"))
    archive, found = findings(text)
    assert [p.subject for s in archive.series for p in s.patches] == ["x86/poke: return one"]
    assert found == [("MAIL_DECODING", 1, None)]


def test_git_diff_is_judged_on_its_code_alone(repo, tmp_path):
    text = tmp_path / "diff.txt"
    text.write_text(git(repo, "diff", "HEAD~2"))
    archive, found = findings(text)
    # no commit message: the rules about it stand aside; the added line is still judged
    assert sorted(found) == [("MAIL_DECODING", 1, None), ("TRAILING_WHITESPACE", 1, 3)]


def test_a_file_that_is_no_mail_in_a_patch_folder_is_named_and_the_rest_checked(repo, tmp_path):
    out = tmp_path / "out"
    git(repo, "format-patch", "-q", "-o", str(out), "HEAD~2")
    (out / "0001a-notes.patch").write_text("things to say in the cover letter\n")
    archive, found = findings(out)
    assert [p.subject for s in archive.series for p in s.patches] == [
        "x86/poke: return one", "x86/poke: return two"]
    lost = [n for s in archive.series for p in s.patches for n in p.decode_notes
            if n.kind == "skipped"]
    assert [n.message.split(" is not read")[0] for n in lost] == [f"0001a-notes.patch in {out}"]
    assert ("MAIL_DATA_LOST", 1, None) in found


def test_toolkit_check_reads_git_show_from_standard_input(repo):
    shown = subprocess.run(["git", "show"], cwd=repo, capture_output=True, check=True).stdout
    done = subprocess.run([sys.executable, "-m", "toolkit", "check", "-"], input=shown,
                          capture_output=True)
    assert b"PATCH 1/1: x86/poke: return two" in done.stdout and done.returncode == 1
