"""One series, whatever form a developer's tools give it: every form is made by the real tool
(git format-patch, b4 am, b4 mbox) from the series of tests/data/forms/<case>.toml, and each must
read as the same series with the same findings as the thread a list delivered.

A case file names a sender, an optional cover letter title, its postings (revision, which
commit a later revision reworks, how many days later it was sent), base files and commits
(author, subject, body, new file contents). The demo series of patches/ is read in the forms b4
and a mail client make of a thread, since its base tree is not at hand.
"""

import mailbox
import re
import shutil
import subprocess
import sys
import tomllib
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from gitrepos import git
from toolkit.checks import catalogue
from toolkit.checks.findings import Level
from toolkit.mail import read_messages
from toolkit.series.assemble import group

DATA = Path(__file__).parents[1] / "data" / "forms"
CASES = sorted(path.stem for path in DATA.glob("*.toml"))
DEMO = Path(__file__).parents[2] / "patches" / "int3-call-emulation-v1.mbox"
B4 = shutil.which("b4") or str(Path(sys.executable).parent / "b4")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not found")


def test_the_cases_were_found():
    assert len(CASES) >= 3


# --- reading a form ---------------------------------------------------------------------------------

def reading(path: Path) -> dict:
    """What must not depend on the form: the series, its patches and authors, and the findings
    at warning level or above (without mbox lines, which each form has its own of)."""
    archive = group(read_messages(str(path)), str(path))
    return {
        "series": [{"revision": s.revision, "total": s.total, "missing": list(s.missing),
                    "cover": s.cover.subject if s.cover else None,
                    "patches": [[p.index, p.subject, p.author.email] for p in s.patches]}
                   for s in archive.series],
        "findings": sorted((f.rule, f.level.name, f.patch.index if f.patch else None,
                            f.file_at.path if f.file_at else None,
                            f.file_at.line if f.file_at else None)
                           for s in archive.series for f in catalogue.run(s)
                           if f.level >= Level.WARNING),
    }


# --- making the forms ---------------------------------------------------------------------------------

def run(*args: str, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def b4(*args: str, cwd: Path, home: Path) -> None:
    # offline, with a home and cache of its own: no lore look-ups, nothing of the user's
    env = {"PATH": str(Path(B4).parent) + ":/usr/bin:/bin", "HOME": str(home),
           "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config")}
    run(B4, "--offline-mode", "-q", *args, cwd=cwd, env=env)


def build(case: dict, repo: Path) -> list[list[Path]]:
    """The repository of a case, and each posting as `git format-patch` writes it for
    sending (threaded, with the cover filled in): a list of mail files per posting."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for path, text in case["base"].items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "tag", "base")
    postings = []
    for number, posting in enumerate(case["postings"]):
        if posting.get("rework"):
            git(repo, "reset", "-q", "--hard", "base")
        if number == 0 or posting.get("rework"):
            for k, commit in enumerate(case["commit"], 1):
                for path, text in commit["files"].items():
                    if k == posting.get("rework"):
                        text = "/* reworked */\n" + text
                    (repo / path).write_text(text)
                git(repo, "add", "-A")
                git(repo, "commit", "-q", "--author", commit["author"], "-m",
                    f"{commit['subject']}\n\n{commit['body']}")
        out = repo.parent / f"posting{number}"
        args = ["format-patch", "-q", "--thread", f"--from={case['sender']}", "-o", str(out),
                "base..HEAD"]
        if case.get("cover"):
            args.insert(1, "--cover-letter")
        if posting["revision"] > 1:
            args.insert(1, f"-v{posting['revision']}")
        git(repo, *args)
        files = fill_cover(out, case)
        for file in files:
            text = file.read_text()
            # another run, another second: ids of a later posting differ as they would
            text = re.sub(r"\.(\d{10})\.git\.", lambda m: f".{int(m.group(1)) + number}.git.",
                          text)
            if posting.get("later_days"):
                text = re.sub(r"\nDate: \w+, (\d+) ", lambda m: f"\nDate: Mon, "
                              f"{int(m.group(1)) % 20 + posting['later_days']} ", text, count=1)
            file.write_text(text)
        postings.append(files)
    return postings


def fill_cover(out: Path, case: dict) -> list[Path]:
    """The files of a format-patch folder, with the cover letter written as a sender would."""
    files = sorted(out.iterdir())
    for file in files:
        text = file.read_text().replace("*** SUBJECT HERE ***", case.get("cover", ""))
        file.write_text(text.replace("*** BLURB HERE ***", "Why these patches, in a few lines."))
    return files


def thread_file(postings: list[list[Path]], path: Path) -> Path:
    """The postings as a list archive holds them: one mboxo file, mail after mail."""
    path.write_text("".join(file.read_text() + "\n" for files in postings for file in files))
    return path


def first_msgid(files: list[Path]) -> str:
    return re.search(r"^Message-ID: <([^>]+)>", files[0].read_text(), re.M | re.I).group(1)


def maildir_of(thread: Path, where: Path) -> Path:
    box = mailbox.Maildir(where, create=True)
    for message in mailbox.mbox(thread):
        box.add(mailbox.MaildirMessage(message))
    return where


def forms_of(case: str, tmp: Path) -> dict[str, Path]:
    spec = tomllib.loads((DATA / f"{case}.toml").read_text())
    postings = build(spec, tmp / "repo")
    newest = postings[-1]
    home = tmp / "home"
    forms = {"thread": thread_file(postings, tmp / "thread.mbox")}
    forms["maildir"] = maildir_of(forms["thread"], tmp / "maildir")
    (tmp / "b4mbox").mkdir()
    b4("mbox", "-C", "-m", str(forms["thread"]), "-o", str(tmp / "b4mbox"), first_msgid(newest),
       cwd=tmp, home=home)
    forms["b4-mbox"] = next((tmp / "b4mbox").iterdir())
    b4("am", "-C", "-m", str(forms["thread"]), "-o", str(tmp / "b4am"), first_msgid(newest),
       cwd=tmp, home=home)
    forms["b4-am-dir"] = tmp / "b4am"
    forms["b4-am-mbx"] = next((tmp / "b4am").glob("*.mbx"))
    forms["format-patch-dir"] = newest[0].parent
    (tmp / "cat.mbox").write_text("".join(f.read_text() for f in newest))
    forms["cat"] = tmp / "cat.mbox"
    repo = tmp / "repo"
    revision = spec["postings"][-1]["revision"]
    version = [f"-v{revision}"] if revision > 1 else []
    cover = ["--cover-letter"] if spec.get("cover") else []
    (tmp / "stdout.mbox").write_text(git(repo, "format-patch", "--stdout", *version,
                                         "base..HEAD"))
    forms["format-patch-stdout"] = tmp / "stdout.mbox"
    git(repo, "format-patch", "-q", *version, *cover, "-o", str(tmp / "plain"), "base..HEAD")
    fill_cover(tmp / "plain", spec)
    forms["format-patch-plain-dir"] = tmp / "plain"
    return forms


# Forms that carry no cover letter: the series read from them is the same but for it.
NO_COVER = {"b4-am-mbx", "format-patch-stdout"}
# Forms that carry only the newest posting: whatever a file of all postings says about the
# older ones (notes only) is not in them.
NEWEST_ONLY = {"b4-mbox", "b4-am-dir", "b4-am-mbx", "format-patch-dir", "cat",
               "format-patch-stdout", "format-patch-plain-dir"}


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    import os
    saved = dict(os.environ)
    home = tmp_path_factory.mktemp("home")
    os.environ.update({"HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1",
                       "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
                       "GIT_COMMITTER_NAME": "Test Author",
                       "GIT_COMMITTER_EMAIL": "author@example.org"})
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.skipif(not Path(B4).exists(), reason="b4 is not installed (make test installs it)")
@pytest.mark.parametrize("case", CASES)
def test_every_form_reads_as_the_thread(case, tmp_path, isolated):
    forms = forms_of(case, tmp_path)
    expected = reading(forms["thread"])
    assert len(expected["series"]) == 1, expected
    for form, path in forms.items():
        got = reading(path)
        want = expected
        if form in NO_COVER:
            want = {**expected, "series": [{**s, "cover": None,
                                            "patches": [p for p in s["patches"] if p[0]]}
                                           for s in expected["series"]]}
            got = {**got, "series": [{**s, "patches": [p for p in s["patches"] if p[0]]}
                                     for s in got["series"]]}
        assert got == want, form


@pytest.mark.skipif(not Path(B4).exists(), reason="b4 is not installed (make test installs it)")
def test_the_demo_series_reads_the_same_from_b4(tmp_path, isolated):
    home = tmp_path / "home"
    msgid = re.search(r"^Message-ID: <([^>]+)>", DEMO.read_text(), re.M | re.I).group(1)
    b4("am", "-C", "-m", str(DEMO), "-o", str(tmp_path / "am"), msgid, cwd=tmp_path, home=home)
    (tmp_path / "mb").mkdir()
    b4("mbox", "-C", "-m", str(DEMO), "-o", str(tmp_path / "mb"), msgid, cwd=tmp_path, home=home)
    expected = reading(DEMO)
    assert expected["findings"], "the demo series has findings to compare"
    for path in (tmp_path / "am", next((tmp_path / "mb").iterdir()),
                 maildir_of(DEMO, tmp_path / "maildir")):
        assert reading(path) == expected, path


@pytest.mark.skipif(not Path(B4).exists(), reason="b4 is not installed (make test installs it)")
def test_a_resent_posting_is_a_newer_copy_not_an_error(tmp_path, isolated):
    forms = forms_of("resent", tmp_path)
    archive = group(read_messages(str(forms["thread"])), "thread")
    (series,) = archive.series
    findings = [f for f in catalogue.run(series) if f.rule == "SERIES_NUMBERING"]
    assert [(f.level, f.patch.index) for f in findings] == [(Level.NOTE, 1), (Level.NOTE, 2)]
    # the later posting is the one checked
    assert {p.msgid for p in series.patches}.isdisjoint({p.msgid for p in series.superseded})
    assert all(parsedate_to_datetime(p.date) > parsedate_to_datetime(q.date)
               for p in series.patches for q in series.superseded)
