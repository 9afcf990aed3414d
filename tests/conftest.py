"""Fixtures shared by the test folders."""

import shutil

import pytest

from gitrepos import GIT_ENV
from toolkit.validate import scenarios


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The suite's cache under pytest's temporary folder, never the user's: what a test builds,
    remembers or evicts is its own, and a stale entry of the user's cannot make a test pass."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def isolated_git(tmp_path, monkeypatch):
    """git without the user's configuration or cache: a home, a cache and an identity of its own."""
    if shutil.which("git") is None:
        pytest.skip("git not found")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def rows():
    """Every scenario of the built-in tables, as the mutation suites run them."""
    return [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)]


@pytest.fixture(scope="session")
def cache(tmp_path_factory):
    """One build cache for the tests that validate code, so each image is built once."""
    return tmp_path_factory.mktemp("build-cache")


@pytest.fixture(scope="session")
def _empty_home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(autouse=True)
def _no_user_settings(_empty_home, monkeypatch):
    """A home of the tests' own: the user's ~/.checkpatch.conf, ~/.gitconfig and b4 settings
    never change what a test sees."""
    monkeypatch.setenv("HOME", str(_empty_home))
