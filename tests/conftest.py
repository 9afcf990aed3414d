"""Fixtures shared by the test folders."""

import shutil

import pytest

from gitrepos import GIT_ENV


@pytest.fixture
def isolated_git(tmp_path, monkeypatch):
    """git without the user's configuration or cache: a home, a cache and an identity of its own."""
    if shutil.which("git") is None:
        pytest.skip("git not found")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
