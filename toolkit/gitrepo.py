"""Throwaway detached worktrees of the user's git repository, for committing there without touching it.

The user's checkout, index, HEAD and branches are never changed: work happens in a detached
worktree under the system temporary directory, which is removed again (also on an error or
Ctrl-C). What stays behind are the unreachable commit objects in the shared object store, which
git's own garbage collection removes.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from toolkit import lazy
from toolkit.errors import InputError, RepositoryError

# GitPython, loaded on first use: only --tree and `gen patch` need it.
git = lazy.module("git")

# Used only when the repository has no identity of its own: commits need some author.
_FALLBACK_IDENTITY = ("toolkit", "toolkit@localhost")


@dataclass(frozen=True, slots=True)
class FileRewrite:
    """One commit: rewrite the file `path` (relative to the top of the tree) with
    `rewrite(text, path)` and commit it with `message`."""

    path: str
    rewrite: Callable[[str, str], str]
    message: str


@dataclass(frozen=True, slots=True)
class Export:
    """What `export_patches` did: the commit it started from, the patch files it wrote, and the
    edits that left their file as it was (and so made no commit)."""

    base: str
    patches: tuple[Path, ...]
    unchanged: tuple[str, ...]


def export_patches(tree: str | Path, edits: Sequence[FileRewrite], outdir: str | Path) -> Export:
    """Apply `edits` as one commit each on top of the HEAD commit of the repository at `tree`,
    in a temporary detached worktree, and write them to `outdir` with `git format-patch`."""
    repo = _open(tree)
    try:
        base = repo.head.commit.hexsha
    except ValueError:
        raise RepositoryError("the repository has no commit to start from", path=str(tree)) from None
    outdir = Path(outdir).resolve()
    unchanged = []
    # Sign off as the user would with `git commit -s`, but only as the user: a patch signed off
    # by the stand-in identity would certify nothing.
    sign_off = ["--signoff"] if _has_identity(repo) else []
    with temporary_worktree(repo, base) as work:
        runner = _runner(repo, work)
        for edit in edits:
            _materialise(runner, base, edit.path, tree)
            target = work / edit.path
            text = target.read_text()
            new = edit.rewrite(text, edit.path)
            if new == text:
                unchanged.append(edit.path)
                continue
            target.write_text(new)
            runner.add("--", edit.path)
            runner.commit("--no-verify", "--quiet", *sign_off, "-m", edit.message)
        patches = ()
        if len(unchanged) < len(edits):
            outdir.mkdir(parents=True, exist_ok=True)
            names = runner.format_patch("-o", str(outdir), f"{base}..HEAD").splitlines()
            patches = tuple(Path(name) for name in names if name)
    return Export(base, patches, tuple(unchanged))


def head_file(tree: str | Path, path: str) -> str:
    """The text of `path` (relative to the top of the tree) as committed in HEAD."""
    repo = _open(tree)
    try:
        blob = repo.head.commit.tree / path
    except ValueError:
        raise RepositoryError("the repository has no commit to read from", path=str(tree)) from None
    except KeyError:
        raise InputError(f"no file {path} in HEAD", path=str(tree),
                         why="is this a kernel tree?") from None
    return blob.data_stream.read().decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Applied:
    """What `apply_series` did: the commit it started from, and per patch the git tree object
    after it and git's reason when the patch did not apply."""

    tree: str
    base: str
    states: tuple[tuple[str, str | None], ...]
    #: the commit of HEAD's history that already makes the series' first change (a b4 prep or
    #: topic branch that holds the series): the series was applied from its parent, `base`
    held: str | None = None


#: How far back HEAD's history is searched for a series already committed on it.
HELD_DEPTH = 200


def apply_series(tree: str | Path, patches: Sequence[str], base: str | None = None) -> Applied:
    """Apply each diff text of `patches` in turn, in a temporary detached worktree of the
    repository at `tree` started at `base` (when the repository has it) or else at HEAD; a patch
    that does not apply is skipped and the next one applied to the same state.

    The states are kept as tree objects in the repository's object store (unreachable, like the
    commits of `export_patches`), so that `show`/`grep` can read them after the worktree is gone.
    """
    repo = _open(tree)
    start = _commit(repo, base) if base else None
    held = None
    if start is None:
        try:
            start = repo.head.commit.hexsha
        except ValueError:
            raise RepositoryError("the repository has no commit to start from",
                                  path=str(tree)) from None
        first = next((text for text in patches if text), None)
        held = _holding(repo, first) if first else None
        if held is not None:
            # on a branch that holds the series, each patch is judged at its own parent
            start = _commit(repo, f"{held}^") or start
    states = []
    with temporary_worktree(repo, start) as work:
        runner = _runner(repo, work)
        current = runner.write_tree()
        for text in patches:
            with tempfile.NamedTemporaryFile("w", suffix=".patch", dir=work.parent,
                                             prefix=f"{work.name}-", delete=False) as stream:
                stream.write(text)
            try:
                runner.apply("--cached", "--whitespace=nowarn", stream.name)
                current = runner.write_tree()
                states.append((current, None))
            except git.GitCommandError as error:
                states.append((current, _stderr(error)))
            finally:
                Path(stream.name).unlink()
    return Applied(str(tree), start, tuple(states), held)


def _holding(repo: git.Repo, diff: str) -> str | None:
    """The commit among HEAD's last HELD_DEPTH that makes the change `diff` makes, by `git
    patch-id --stable` (as b4 matches a patch to a commit), or None."""
    with tempfile.TemporaryFile() as text:
        text.write(diff.encode())
        text.seek(0)
        wanted = repo.git.patch_id("--stable", istream=text).split()
    if not wanted:
        return None
    with tempfile.TemporaryFile() as history:
        history.write(repo.git.log("-p", "--no-merges", "--no-color", "--no-ext-diff",
                                   f"-n{HELD_DEPTH}", "HEAD", stdout_as_string=False))
        history.seek(0)
        ids = repo.git.patch_id("--stable", istream=history).splitlines()
    return next((commit for line in ids for pid, commit in [line.split()]
                 if pid == wanted[0]), None)


def show(tree: str | Path, treeish: str, path: str) -> str | None:
    """The text of `path` in the tree object or commit `treeish`, or None when it has none."""
    try:
        blob = _open(tree).git.show(f"{treeish}:{path}", stdout_as_string=False)
    except git.GitCommandError:
        return None
    return blob.decode("utf-8", errors="replace")


def grep(tree: str | Path, treeish: str, word: str, pathspec: str = ".") -> list[str]:
    """Paths in `treeish` where `word` occurs as a whole word (fixed string)."""
    try:
        found = _open(tree).git.grep("-l", "-w", "-F", "-e", word, treeish, "--", pathspec)
    except git.GitCommandError as error:
        if error.status == 1:        # no match
            return []
        raise RepositoryError("git grep failed", path=str(tree), why=_stderr(error)) from None
    return [line.split(":", 1)[1] for line in found.splitlines() if ":" in line]


def commit_subject(tree: str | Path, sha: str) -> str | None:
    """The subject of the commit `sha` (an abbreviation git can resolve), or None if unknown."""
    repo = _open(tree)
    found = _commit(repo, sha)
    return None if found is None else repo.commit(found).summary


def _commit(repo: git.Repo, rev: str) -> str | None:
    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")
    except git.GitCommandError:
        return None


@contextmanager
def temporary_worktree(repo: git.Repo, commit: str) -> Iterator[Path]:
    """A detached worktree of `repo` at `commit` with its index populated but no files checked
    out (a kernel tree is large; callers check out the few files they need)."""
    place = Path(tempfile.mkdtemp(prefix="toolkit-worktree-"))
    added = False
    try:
        repo.git.worktree("add", "--quiet", "--detach", "--no-checkout", str(place), commit)
        added = True
        git.Git(str(place)).read_tree(commit)
        yield place
    except git.GitCommandError as error:
        verb = next((w for w in error.command[1:] if not w.startswith("-") and "=" not in w), "")
        raise RepositoryError(f"git {verb} failed", path=repo.working_tree_dir,
                              why=_stderr(error)) from None
    finally:
        if added:
            # Only this worktree: a general `git worktree prune` would also drop the user's own
            # worktrees whose directories are not there right now (an unmounted disk).
            repo.git.worktree("remove", "--force", str(place))
        shutil.rmtree(place, ignore_errors=True)


def is_repository(tree: str | Path) -> bool:
    """Whether `tree` is (inside) a git working tree, e.g. not an unpacked source package."""
    try:
        _open(tree)
    except (InputError, RepositoryError):
        return False
    return True


def _open(tree: str | Path) -> git.Repo:
    try:
        repo = git.Repo(tree)
    except git.NoSuchPathError:
        raise InputError("no such directory", path=str(tree)) from None
    except git.InvalidGitRepositoryError:
        raise RepositoryError("not a git repository", path=str(tree)) from None
    if repo.bare:
        raise RepositoryError("a bare repository has no files to change", path=str(tree))
    return repo


def _runner(repo: git.Repo, work: Path) -> git.Git:
    """git in the worktree, with the user's hooks and commit signing kept out of it."""
    runner = git.Git(str(work))
    runner.set_persistent_git_options(c=["commit.gpgsign=false", "core.hooksPath=/dev/null"])
    if not _has_identity(repo):
        for role in ("AUTHOR", "COMMITTER"):
            runner.update_environment(**{f"GIT_{role}_NAME": _FALLBACK_IDENTITY[0],
                                         f"GIT_{role}_EMAIL": _FALLBACK_IDENTITY[1]})
    return runner


def _has_identity(repo: git.Repo) -> bool:
    """Whether git knows who the user is here (configuration or GIT_COMMITTER_* variables), as
    `git commit` itself would decide."""
    try:
        repo.git.var("GIT_COMMITTER_IDENT")
    except git.GitCommandError:
        return False
    return True


def _materialise(runner: git.Git, commit: str, path: str, tree: str | Path) -> None:
    try:
        runner.checkout(commit, "--", path)
    except git.GitCommandError:
        raise InputError(f"no file {path} in commit {commit[:12]}", path=str(tree),
                         why="is this a kernel tree?") from None


def _stderr(error: git.GitCommandError) -> str:
    lines = [line.strip() for line in str(error.stderr).splitlines() if line.strip()]
    return lines[-1].removeprefix("stderr: ").strip("'") if lines else f"exit {error.status}"
