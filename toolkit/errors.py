"""Exceptions the library raises; only the command line turns them into messages and exit codes."""

from __future__ import annotations


class ToolkitError(Exception):
    """A problem the user can act on: where it is, what went wrong, and why.

    `path` and `line` name the user's file (an mbox, a header, a scenario table) when there is one;
    `str()` renders the one-line message the command line prints, position first.
    """

    #: exit code the command line uses for this kind of error
    exit_code = 2

    def __init__(self, what: str, *, path: str | None = None, line: int | None = None,
                 why: str | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.path = path
        self.line = line
        self.why = why

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text} ({self.why})" if self.why else text


class UsageError(ToolkitError):
    """The command line was asked for something that does not make sense."""


class InputError(ToolkitError):
    """An input file cannot be read or is not what it claims to be."""


class ParseError(ToolkitError):
    """Text was read but a construct in it is not understood."""


class ToolchainError(ToolkitError):
    """The compiler, assembler or linker is missing or refused the code."""


class EmulationError(ToolkitError):
    """The emulator could not be set up to run a scenario at all."""


class RepositoryError(ToolkitError):
    """A git repository could not be used as asked (not a repository, unknown revision, ...)."""
