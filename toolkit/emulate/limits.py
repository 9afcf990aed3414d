"""What building and loading someone else's code may cost: the limits of each tool run and of the image.

The code `toolkit check` builds comes from a mail, and a mail can hold a `.fill` of a gigabyte, a
static array as large, or macros that double twenty times. Every compiler, assembler and linker
run is therefore started with resource limits set in the child (address space, CPU seconds, file
size, processes, no core file), in a clean environment, and stopped after a wall-clock time; the
linked image is measured before anything of it is read or mapped. A limit that is hit raises
`LimitHit`, which the checks report as a finding on the patch whose code hit it, never a crash.
"""

from __future__ import annotations

import functools
import math
import os
import re
import resource
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, fields

from toolkit.errors import ToolchainError, UsageError

MiB = 1 << 20

# The image is linked at LINK_ADDRESS and the emulator's site page sits 16 MiB above it (both
# architectures, toolkit/emulate/memorymap.py): a larger image would run into it.
IMAGE_ROOM = 16 * MiB

# Spelled as `--build-limits` takes them: name, field, unit ("bytes" takes K/M/G suffixes).
_NAMES = {"mem": ("memory", "bytes"), "cpu": ("cpu", "seconds"), "file": ("file", "bytes"),
          "wall": ("wall", "seconds"), "procs": ("processes", "count"),
          "image": ("image", "bytes")}
_SUFFIX = {"": 1, "K": 1 << 10, "M": MiB, "G": 1 << 30}
# The most each limit may be set to: beyond these a limit bounds nothing on any machine (and
# an rlimit must fit in 64 bits).
_MOST = {"mem": 64 << 30, "cpu": 3600, "file": 64 << 30, "wall": 3600, "procs": 4096,
         "image": 64 << 30}
# "512M", "8m", "65536", "1.5G"
_SIZE = re.compile(r"(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?", re.I)


@dataclass(frozen=True, slots=True)
class Limits:
    """The bounds of building one piece of code under test. `memory`, `cpu`, `file` and
    `processes` hold for each tool process (gcc's cc1 and as each have their own), `wall` for a
    whole tool run with its children, `image` for the memory the linked image occupies.

    The defaults are far above what honest code needs (a helper header and entry stub compile in
    a tenth of a second, in under 40 MiB, to an object of a few KiB) and far below what would
    hurt the machine. `str()` gives them back as `--build-limits` takes them."""

    memory: int = 512 * MiB
    cpu: int = 10
    file: int = 8 * MiB
    wall: float = 20
    processes: int = 32
    image: int = 4 * MiB

    @classmethod
    def parse(cls, text: str) -> "Limits":
        """Limits from `mem=512M,cpu=10,file=8M,wall=20,procs=32,image=4M` (any subset; the rest
        keep their defaults)."""
        chosen = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name.strip() not in _NAMES:
                raise UsageError(f"unknown build limit {name.strip()!r}",
                                 why=f"the limits are {', '.join(_NAMES)}")
            field, unit = _NAMES[name.strip()]
            chosen[field] = _value(name.strip(), value.strip(), unit)
        limits = cls(**chosen)
        if limits.image > IMAGE_ROOM:
            raise UsageError(f"image={limits.image // MiB}M is more than the emulator has room for",
                             why=f"the image may take at most {IMAGE_ROOM // MiB}M")
        return limits

    def __str__(self) -> str:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return ",".join(f"{name}={_spelled(values[field], unit)}"
                        for name, (field, unit) in _NAMES.items())

    @property
    def within(self) -> str:
        """The limits a finding quotes: "512 MiB / 10 s"."""
        return f"{_spelled(self.memory, 'bytes', ' ')}B / {self.cpu} s"

    def child_limits(self) -> tuple[tuple[int, int, int], ...]:
        """The (resource, soft, hard) limits a tool process is started with, each kept under the
        hard limit the toolkit itself runs with (an unprivileged process cannot raise it). The
        CPU limit's hard value is a second above the soft one, so that SIGXCPU (which gcc names)
        comes before SIGKILL."""
        cpu = math.ceil(self.cpu)
        wanted = ((resource.RLIMIT_AS, self.memory, self.memory),
                  (resource.RLIMIT_CPU, cpu, cpu + 1),
                  (resource.RLIMIT_FSIZE, self.file, self.file), (resource.RLIMIT_CORE, 0, 0),
                  # RLIMIT_NPROC counts every task of the user, so the tool's allowance is added
                  # to the tasks that run now (system-wide: a bound, if a loose one).
                  (resource.RLIMIT_NPROC, *(2 * (_tasks_running() + self.processes,))))
        kept = []
        for which, soft, hard in wanted:
            _, ceiling = resource.getrlimit(which)
            if ceiling != resource.RLIM_INFINITY:
                soft, hard = min(soft, ceiling), min(hard, ceiling)
            kept.append((which, soft, hard))
        return tuple(kept)


DEFAULT = Limits()

# util-linux's prlimit sets limits between its own exec and the tool's. Setting them from Python
# in the child (preexec_fn) instead forks the whole toolkit process, which with the emulator
# loaded costs 10 ms a tool run where prlimit costs 1: it is the way only where prlimit is not.
_PRLIMIT_NAMES = {resource.RLIMIT_AS: "as", resource.RLIMIT_CPU: "cpu",
                  resource.RLIMIT_FSIZE: "fsize", resource.RLIMIT_CORE: "core",
                  resource.RLIMIT_NPROC: "nproc"}


def limited(command: list[str], limits: Limits) -> tuple[list[str], Callable[[], None] | None]:
    """`command` as it is started within `limits`, and the function to run in the child between
    fork and exec, if one is needed."""
    triples = limits.child_limits()
    prlimit = _prlimit()
    if prlimit is None:
        return command, functools.partial(_apply, triples)
    return [prlimit, *(f"--{_PRLIMIT_NAMES[which]}={soft}:{hard}" for which, soft, hard in triples),
            "--", *command], None


@functools.cache
def _prlimit() -> str | None:
    return shutil.which("prlimit")


def _apply(triples: tuple[tuple[int, int, int], ...]) -> None:
    for which, soft, hard in triples:
        resource.setrlimit(which, (soft, hard))


def environment(scratch: str) -> dict[str, str]:
    """The whole environment of a tool run. Nothing of the user's is passed but PATH: variables
    such as GCC_EXEC_PREFIX, COMPILER_PATH, CPATH, DEPENDENCIES_OUTPUT or LD_PRELOAD would let
    the environment change what is compiled, or where files are read and written. Temporary files
    go to the build's own folder, which is removed afterwards even when a tool was killed."""
    return {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C", "LC_ALL": "C",
            "TMPDIR": scratch}


class LimitHit(ToolchainError):
    """Building the code under test hit one of its `Limits`; `last_words` is what the tool said
    (or what the toolkit measured), `within` the limits a finding quotes."""

    def __init__(self, limits: Limits, last_words: str, *, path: str | None = None) -> None:
        super().__init__(f"could not be built within {limits.within}", path=path, why=last_words)
        self.within = limits.within
        self.last_words = last_words


class BudgetSpent(ToolchainError):
    """The time given to the whole check ran out before (or while) this code was built or run."""


# What a tool says when a limit stopped it, as gcc 12 and binutils 2.40 say it; each alternative
# with a line it matches:
#   gcc: fatal error: CPU time limit exceeded signal terminated program cc1
#   gcc: fatal error: Killed signal terminated program as
#   cc1: out of memory allocating 33554408 bytes after a total of 87203840 bytes
#   virtual memory exhausted: Cannot allocate memory
#   as: Fatal error: can't write 4096 bytes to section .text of entry.s.o: 'file too big'
#   ld: final link failed: file too big
_LIMIT_WORDS = re.compile(r"signal terminated program|out of memory|memory exhausted"
                          r"|cannot allocate memory|file too (?:big|large)|resource temporarily"
                          r"|limit exceeded", re.I)
# Signals that a limit sends: SIGXCPU at the CPU limit, SIGKILL a second later, SIGXFSZ at the
# file size limit; SIGSEGV when a stack or a mapping could not grow within the address space.
_LIMIT_SIGNALS = {signal.SIGXCPU: "used its {cpu} s of CPU time", signal.SIGKILL: "was killed",
                  signal.SIGXFSZ: "wrote a file larger than {file}",
                  signal.SIGSEGV: "crashed (out of its {memory} of address space?)"}


def stopped_by_limit(tool: str, returncode: int, stderr: str, limits: Limits) -> str | None:
    """What to quote of a run of `tool` that failed with `returncode` and wrote `stderr`, when one
    of `limits` stopped it; None when it failed on its own (a compile error). The line quoted is
    the last that names the limit (gcc follows an internal compiler error with advice)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = next((line for line in reversed(lines) if _LIMIT_WORDS.search(line)), None)
    if returncode < 0 and -returncode in _LIMIT_SIGNALS:
        what = _LIMIT_SIGNALS[-returncode].format(
            cpu=limits.cpu, file=f"{_spelled(limits.file, 'bytes', ' ')}B",
            memory=f"{_spelled(limits.memory, 'bytes', ' ')}B")
        last = said or (lines[-1] if lines else "")
        return f"{tool} {what}" + (f": {_cut(last)}" if last else "")
    return _cut(said) if said else None


def _cut(line: str, most: int = 200) -> str:
    return line if len(line) <= most else line[:most - 1] + "…"


def _tasks_running() -> int:
    """How many tasks (threads included) run on the machine: the fourth field of /proc/loadavg,
    "0.50 0.40 0.30 2/345 6789"; a generous guess where there is none."""
    try:
        with open("/proc/loadavg") as stream:
            return int(stream.read().split()[3].split("/")[1])
    except (OSError, IndexError, ValueError):
        return 4096


def _value(name: str, text: str, unit: str) -> float | int:
    most = _MOST[name]
    if unit == "bytes":
        found = _SIZE.fullmatch(text)
        size = float(found.group(1)) * _SUFFIX[found.group(2).upper()] if found else 0
        if 0 < size <= most:
            return int(size)
    else:
        try:
            number = float(text) if unit == "seconds" else int(text)
        except ValueError:
            number = None
        # nan and inf are no number of seconds (inf would overflow a timeout)
        if number is not None and math.isfinite(number) and 0 < number <= most:
            return int(number) if float(number).is_integer() else number
    raise UsageError(f"bad value {text!r} for the build limit {name}",
                     why=(f"a size such as 512M or 8M, at most {_spelled(most, unit)}"
                          if unit == "bytes" else
                          f"a number of seconds above 0, at most {most}" if unit == "seconds"
                          else f"a count above 0, at most {most}"))


def _spelled(value: float, unit: str, space: str = "") -> str:
    if unit != "bytes":
        return f"{value:g}"
    for suffix in ("G", "M", "K"):
        if value >= _SUFFIX[suffix] and value % _SUFFIX[suffix] == 0:
            return f"{value // _SUFFIX[suffix]}{space}{suffix}{'i' if space else ''}"
    return f"{value}{space}"
