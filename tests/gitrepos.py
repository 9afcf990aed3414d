"""Running git in the throwaway repositories the tests make."""

import subprocess
from pathlib import Path

#: Identity and config for every git the tests run: the user's own settings never leak in.
GIT_ENV = {"GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.org",
           "GIT_COMMITTER_NAME": "Test Author", "GIT_COMMITTER_EMAIL": "author@example.org",
           "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def commit_as_mail(repo: Path, message: str, mbox: Path) -> Path:
    """Commit what is changed in `repo` with `message`, write the commit as a patch mail to
    `mbox`, and take it back, so that the repository is as before the patch."""
    git(repo, "commit", "--quiet", "-am", message)
    mbox.write_text(git(repo, "format-patch", "-1", "--stdout"))
    git(repo, "reset", "--quiet", "--hard", "HEAD~1")
    return mbox
