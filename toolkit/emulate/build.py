"""Turning C and assembly sources into a loadable image at kernel addresses with the real toolchain."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from toolkit.cache import folder, touch, trim, write_atomic
from toolkit.emulate import limits as bounds
from toolkit.emulate.limits import DEFAULT, BudgetSpent, LimitHit, Limits
from toolkit.errors import InputError, ToolchainError, ToolkitError

# Where each architecture's image is linked: x86_64 code lives in the top 2 GiB, which is what
# -mcmodel=kernel assumes; x86_32 at the usual 3 GiB split plus 16 MiB.
LINK_ADDRESS = {"x86_64": 0xFFFFFFFF81000000, "x86_32": 0xC1000000}

# Flags as a kernel build uses them where they change the code we run: no red zone (the int3
# handler runs on the interrupted stack), no SSE (the entry code saves only general registers),
# no stack protector or PIC (nothing sets them up), no CET notes. The code under test may come
# from a patch mail: -nostdinc leaves it nothing to include but the sources in the build
# directory (the prelude stands in for every kernel and system header).
_COMMON_CFLAGS = ("-ffreestanding", "-nostdinc", "-nostdlib", "-fno-pic", "-fno-stack-protector",
                  "-fno-asynchronous-unwind-tables", "-fcf-protection=none", "-mgeneral-regs-only",
                  "-O2", "-Wall", "-Werror")
_ARCH_FLAGS = {
    "x86_64": {"cc": ("-m64", "-mcmodel=kernel", "-mno-red-zone"), "as": ("--64",),
               "ld": ("-m", "elf_x86_64")},
    "x86_32": {"cc": ("-m32",), "as": ("--32",), "ld": ("-m", "elf_i386")},
}

# Bytes of a linked image worth keeping in the cache: seventy times an honest one (14 KiB). A larger
# image that is still within the limits is built again when asked for, rather than let a mail
# fill the cache.
KEEP_AT_MOST = 1 << 20

# Builds that failed in this process, by cache key and limits, so that states with the same code
# do not build it again; builds that hit a limit are also remembered on disk (`.limit` files).
_FAILED: dict[tuple[str, str], ToolkitError] = {}

# Pragmas that make the compiler open a file the code names, which -nostdinc does not stop; the
# refusals of the checks (includes) cannot see one that a macro spells out. Lines they match:
#   #pragma GCC dependency "/etc/shadow"          _Pragma("GCC pch_preprocess \"x.gch\"")
_READS_A_FILE = re.compile(r"\bGCC\s+(?:dependency|pch_preprocess)\b")

_LINKER_SCRIPT = """\
SECTIONS {{
  . = {address:#x};
  .text : {{ *(.text .text.*) }}
  . = ALIGN(4096);
  .rodata : {{ *(.rodata .rodata.*) }}
  . = ALIGN(4096);
  .data : {{ *(.data .data.*) *(.bss .bss.* COMMON) }}
  /DISCARD/ : {{ *(.note.* .comment .eh_frame) }}
}}
"""


@dataclass(frozen=True, slots=True)
class Toolchain:
    """The compiler, assembler and linker, chosen as kbuild chooses them (CC, AS, LD, CROSS_COMPILE)."""

    cc: str
    as_: str
    ld: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Toolchain":
        env = os.environ if environ is None else environ
        cross = env.get("CROSS_COMPILE", "")
        return cls(cc=env.get("CC") or f"{cross}gcc", as_=env.get("AS") or f"{cross}as",
                   ld=env.get("LD") or f"{cross}ld")

    def resolve(self) -> tuple[str, str, str]:
        """Absolute paths of the three tools; a missing one is a ToolchainError."""
        found = []
        for role, variable, name in (("C compiler", "CC", self.cc), ("assembler", "AS", self.as_),
                                     ("linker", "LD", self.ld)):
            path = shutil.which(name)
            if path is None:
                raise ToolchainError(f"{role} {name!r} not found",
                                     why=f"install it or set {variable} or CROSS_COMPILE")
            found.append(path)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file by name: `.c` is compiled, `.S` preprocessed and assembled by the compiler
    (as kbuild does), `.s` assembled by the assembler, `.h` only made available to the others."""

    name: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Segment:
    """A loadable piece of the image: bytes to place at `address` (zero-filled to its memory size)."""

    address: int
    data: bytes
    writable: bool
    executable: bool


@dataclass(frozen=True, slots=True)
class Image:
    """A linked program: where its bytes go and where its symbols are."""

    arch: str
    segments: tuple[Segment, ...]
    symbols: Mapping[str, int] = field(hash=False)
    path: str

    def symbol(self, name: str) -> int:
        try:
            return self.symbols[name]
        except KeyError:
            raise ToolchainError(f"the built code defines no symbol {name!r}", path=self.path,
                                 why="the code under test does not provide what the harness calls"
                                 ) from None


def build(sources: Sequence[SourceFile], arch: str, *, toolchain: Toolchain | None = None,
          cache: Path | None = None, limits: Limits = DEFAULT,
          deadline: float | None = None) -> Image:
    """Compile, assemble and link `sources` for `arch` within `limits` (and before the
    `time.monotonic()` `deadline`, when given); reuse the linked file of an earlier build of the
    same sources with the same tools and flags instead of running any tool again. A build that
    hit a limit raises LimitHit, and is not tried again with the same limits, in this process or
    (through the cache) in a later one."""
    for source in sources:
        found = _READS_A_FILE.search(source.text)
        if found:
            raise InputError(f"the code asks the compiler to open a file it names "
                             f"({found.group(0)})", path=source.name,
                             line=source.text.count("\n", 0, found.start()) + 1,
                             why="only the sources written into the build directory are read")
    toolchain = toolchain or Toolchain.from_environ()
    tools = toolchain.resolve()
    flags = _ARCH_FLAGS[arch]
    script = _LINKER_SCRIPT.format(address=LINK_ADDRESS[arch])
    key = _cache_key(sources, arch, tools, script)
    store = cache or folder("build")
    cached = store / f"{key}.elf"
    if touch(cached):
        return load(cached, arch, limits)
    failed = _FAILED.get((key, str(limits)))
    if failed is not None:
        raise failed.with_traceback(None)
    # Named by the limits too: with larger ones the same code may build.
    hit = store / f"{key}-{hashlib.sha256(str(limits).encode()).hexdigest()[:16]}.limit"
    if touch(hit):
        raise LimitHit(limits, hit.read_text(errors="replace"))
    try:
        return _link(cached, sources, arch, tools, flags, script, limits, deadline,
                     trim if cache is None else functools.partial(trim, store))
    except BudgetSpent:
        raise           # the code's time was not up, the check's was: not the code's failure
    except LimitHit as error:
        _FAILED[key, str(limits)] = error
        write_atomic(hit, error.last_words.encode())
        raise
    except ToolkitError as error:
        _FAILED[key, str(limits)] = error
        raise


def _cache_key(sources: Sequence[SourceFile], arch: str, tools: tuple[str, ...], script: str) -> str:
    # A tool is identified by its path, size and modification time: asking it for its version would
    # itself run the tool, which the cache exists to avoid.
    digest = hashlib.sha256()
    parts = [arch, script, *_COMMON_CFLAGS, *(str(v) for v in _ARCH_FLAGS[arch].values())]
    for tool in tools:
        info = os.stat(tool)
        parts.append(f"{tool}:{info.st_size}:{info.st_mtime_ns}")
    for source in sorted(sources, key=lambda s: s.name):
        parts += [source.name, source.text]
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:32]


def _link(target: Path, sources: Sequence[SourceFile], arch: str, tools: tuple[str, str, str],
          flags: Mapping[str, tuple[str, ...]], script: str, limits: Limits,
          deadline: float | None, trim_cache) -> Image:
    """Build the image, and keep it at `target` when it is small and the cache can be written."""
    cc, as_, ld = tools
    with tempfile.TemporaryDirectory(prefix="toolkit-build-") as scratch:
        work = Path(scratch)
        for source in sources:
            (work / source.name).write_text(source.text)
        (work / "link.lds").write_text(script)
        objects = []
        for source in sources:
            suffix = Path(source.name).suffix
            if suffix == ".h":
                continue
            obj = f"{source.name}.o"
            if suffix in (".c", ".S"):
                command = [cc, *_COMMON_CFLAGS, *flags["cc"], "-I", ".", "-c", source.name, "-o", obj]
            elif suffix == ".s":
                command = [as_, *flags["as"], source.name, "-o", obj]
            else:
                raise InputError(f"do not know how to build {source.name!r}",
                                 why="sources end in .c, .S, .s or .h")
            _run(command, work, source.name, limits, deadline)
            objects.append(obj)
        _run([ld, *flags["ld"], "-static", "-nostdlib", "--build-id=none", "-e", "0", "-T", "link.lds",
              "-o", "image.elf", *objects], work, "link.lds", limits, deadline)
        linked = work / "image.elf"
        # Measured before anything is read: a .bss of a gigabyte is a few bytes of file.
        image = load(linked, arch, limits)
        # The cache keeps only what is small; the rename in write_atomic means that a build
        # killed half-way never leaves a truncated entry.
        if linked.stat().st_size <= KEEP_AT_MOST and write_atomic(target, linked.read_bytes()):
            trim_cache()
    return image


def _run(command: list[str], cwd: Path, name: str, limits: Limits, deadline: float | None) -> None:
    """Run one tool on `name` in `cwd` within `limits`: a LimitHit when one stopped it, a
    BudgetSpent when the `deadline` did, a ToolchainError when it refused the code."""
    tool = Path(command[0]).name
    wall = limits.wall
    if deadline is not None:
        wall = min(wall, deadline - time.monotonic())
        if wall <= 0:
            raise BudgetSpent(f"{tool} was not run on {name}: the time for the check ran out",
                              path=name)
    log = cwd / f"{name}.{tool}.stderr"
    started, in_child = bounds.limited(command, limits)
    # The tool and all it starts hold the write end of this pipe: it reads as closed the moment
    # they are gone. (Popen.wait with a timeout polls, and is late by up to 50 ms a run.)
    gone, held = os.pipe()
    try:
        try:
            with open(log, "wb") as stream:
                # A session of its own, so that a tool stopped for its time is stopped with what
                # it started (gcc runs cc1 and as). Its output goes to a file, which the file
                # size limit bounds as it does the objects.
                process = subprocess.Popen(
                    started, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stream, stderr=stream,
                    env=bounds.environment(str(cwd)), start_new_session=True,
                    preexec_fn=in_child, pass_fds=(held,))
        finally:
            os.close(held)
        finished = select.select([gone], [], [], wall)[0]
    finally:
        os.close(gone)
    if not finished:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if wall < limits.wall:
            raise BudgetSpent(f"{tool} was stopped on {name}: the time for the check ran out",
                              path=name)
        raise LimitHit(limits, f"{tool} took longer than {wall:g} s on {name} and was stopped",
                       path=name)
    process.wait()
    if process.returncode == 0:
        return
    stderr = log.read_text(errors="replace")
    stopped = bounds.stopped_by_limit(tool, process.returncode, stderr, limits)
    if stopped:
        raise LimitHit(limits, stopped, path=name)
    lines = [line for line in stderr.splitlines() if line.strip()]
    # ld says "undefined reference" without the word error, after warnings of its own; a
    # warning is the line to quote only when nothing else was said.
    first = next((line for line in lines if "error" in line.lower()
                  or "undefined reference" in line),
                 next((line for line in lines if "warning:" not in line),
                      lines[0] if lines else ""))
    # gcc and as both start a message with "file:line:"; keep the line for the user.
    at = re.match(rf"{re.escape(name)}:(\d+):", first)
    raise ToolchainError(f"{tool} failed on {name}", path=name,
                         line=int(at.group(1)) if at else None,
                         why=first.strip() or f"exit status {process.returncode}")


def load(path: Path, arch: str, limits: Limits = DEFAULT) -> Image:
    """The loadable segments and the defined symbols of a linked ELF file; LimitHit when the
    segments would take more memory than `limits` allow (measured before any is read)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as stream:
            elf = ELFFile(stream)
            loadable = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
            _measure(loadable, limits)
            segments = tuple(_segment(s) for s in loadable)
            table = elf.get_section_by_name(".symtab")
            symbols = {} if table is None else {
                s.name: s["st_value"] for s in table.iter_symbols()
                if s.name and s["st_shndx"] != "SHN_UNDEF"
                and s["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE")}
    except (OSError, ELFError) as error:
        raise InputError("cannot load the linked image", path=str(path), why=str(error)) from None
    return Image(arch, segments, symbols, str(path))


def _measure(segments, limits: Limits) -> None:
    """The image is mapped as one range from its first page to its last byte (Machine): that
    range, and the bytes in the file, must fit `limits.image`."""
    if not segments:
        return
    low = min(s["p_vaddr"] for s in segments) & ~0xFFF
    high = max(s["p_vaddr"] + s["p_memsz"] for s in segments)
    size = max(high - low, sum(s["p_filesz"] for s in segments))
    if size > limits.image:
        raise LimitHit(limits, f"the linked image takes {_mib(size)} of memory, more than the "
                               f"{_mib(limits.image)} it may take")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB".replace(".0 ", " ")


def _segment(segment) -> Segment:
    data = segment.data().ljust(segment["p_memsz"], b"\0")
    flags = segment["p_flags"]
    return Segment(segment["p_vaddr"], data, writable=bool(flags & 2), executable=bool(flags & 1))
