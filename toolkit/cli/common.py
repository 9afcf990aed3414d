"""What the commands of the command line share: option types, path checks, a progress line."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

from toolkit.errors import InputError


def names(text: str) -> list[str]:
    return [name for name in text.split(",") if name.strip()]


#: The longest --budget: a day; more bounds nothing.
MOST_BUDGET = 86400


def budget(text: str) -> float:
    """--budget: a finite number of seconds above 0 (nan would switch the budget off)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= MOST_BUDGET):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, at most "
                                         f"{MOST_BUDGET}")
    return seconds


def jobs(text: str) -> int:
    """--jobs: 1 to four processes a core (more only costs memory and forks)."""
    most = 4 * (os.cpu_count() or 1)
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if not 1 <= count <= most:
        raise argparse.ArgumentTypeError(f"must be 1 to {most} (four per core)")
    return count


def revision(text: str) -> int:
    """--revision: a revision number, 1 or more (v1 is the first posting)."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more (v1 is the first posting)")
    return number


def message_id(text: str) -> str:
    """--series: a message id, with or without its angle brackets, not empty."""
    if not text.strip().strip("<>").strip():
        raise argparse.ArgumentTypeError("must be a message id, such as '<1234@example.org>'")
    return text


class Progress:
    """One line on a terminal's standard error, rewritten in place at most ten times a second:
    mails read and checked, series checked, the rate, and with the file's length known, how far
    the check has come and how long the rest will take."""

    def __init__(self, label: str, lines: int | None = None) -> None:
        self.label, self.clock, self.lines = label, time.monotonic, lines
        self.started, self.last, self.at, self.read_count = self.clock(), 0.0, 0, 0
        self.checked = self.series = 0

    def read(self, at: int) -> None:
        """One more mail read, starting at line `at` of the file."""
        self.read_count += 1
        self.at = at
        if self.read_count % 200 == 0:
            self.show()

    def checked_up_to(self, mails: int, series: int) -> None:
        self.checked, self.series = mails, series
        self.show()

    def show(self) -> None:
        now = self.clock()
        if now - self.last < 0.1:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-6)
        text = (f"{self.read_count:,} mails read, {self.checked:,} checked in "
                f"{self.series:,} series, {self.checked / elapsed:,.0f} mails/s")
        if self.lines and self.at and self.read_count:
            # what share of the file is checked: the read share, scaled by checked / read
            done = (self.at / self.lines) * (self.checked / self.read_count)
            if done > 0:
                text += (f", {100 * done:.0f}%, about {elapsed * (1 - done) / done:,.0f} s "
                         "to go")
        print(f"\r{self.label}: {text}\033[K", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.last:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def folder(path: str) -> str:
    """`path` as the directory --tree names, or an input error saying what it is instead."""


    if not os.path.isdir(path):
        raise InputError("not a directory" if os.path.exists(path) else "no such directory",
                         path=path, why="given with --tree")
    return path


def kernel_tree(path: str) -> str:
    """`path` as the kernel source tree --tree names. One level too deep (`linux/arch`) would
    otherwise show up as a header missing inside it, or as includes quietly left unresolved."""


    if not os.path.isdir(os.path.join(folder(path), "arch", "x86")):
        raise InputError("not a kernel source tree, it has no arch/x86", path=path,
                         why="given with --tree")
    return path


def make_folder(folder) -> None:

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("cannot make the evidence folder", path=str(folder),
                         why=error.strerror) from None
