"""Bounds on building untrusted code: limits spelled and applied, limit hits remembered, the cache kept small."""

import os
import stat
from pathlib import Path

import pytest

from toolkit import cache
from toolkit.emulate import build, limits
from toolkit.emulate.limits import DEFAULT, LimitHit, Limits
from toolkit.errors import UsageError

DATA = Path(__file__).parents[1] / "data/emulate/toolchain"


def _sources(*names):
    return [build.SourceFile(name, (DATA / name).read_text()) for name in names]


def _compiler(path, script):
    """A toolchain whose compiler is the shell script `script`, written to `path`."""
    path.write_text(f"#!/bin/sh\n{script}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return build.Toolchain.from_environ({"CC": str(path)})


@pytest.fixture(autouse=True)
def _forget_failures(monkeypatch):
    # Each test starts as a new process would: no build failures remembered in memory.
    monkeypatch.setattr(build, "_FAILED", {})


@pytest.mark.parametrize("text, expected", [
    ("", DEFAULT),
    ("mem=256M,cpu=2", Limits(memory=256 << 20, cpu=2)),
    ("file=512K, wall=1.5, procs=8, image=1M",
     Limits(file=512 << 10, wall=1.5, processes=8, image=1 << 20)),
])
def test_limits_are_read_as_written_and_print_back(text, expected):
    assert Limits.parse(text) == expected
    assert Limits.parse(str(expected)) == expected


@pytest.mark.parametrize("text, why", [
    ("heap=1G", "unknown build limit 'heap'"),
    ("mem=lots", "bad value 'lots' for the build limit mem"),
    ("cpu=0", "bad value '0' for the build limit cpu"),
    ("image=64M", "more than the emulator has room for"),
])
def test_a_limit_that_makes_no_sense_is_a_usage_error(text, why):
    with pytest.raises(UsageError, match=why):
        Limits.parse(text)


def test_the_default_limits_read_as_a_finding_quotes_them():
    assert (str(DEFAULT), DEFAULT.within) == (
        "mem=512M,cpu=10,file=8M,wall=20,procs=32,image=4M", "512 MiB / 10 s")


def test_a_tool_runs_in_a_clean_environment(tmp_path, monkeypatch):
    seen = tmp_path / "environment"
    tools = _compiler(tmp_path / "env-gcc", f"env > {seen}\nexec gcc \"$@\"\n")
    for name in ("GCC_EXEC_PREFIX", "COMPILER_PATH", "CPATH", "DEPENDENCIES_OUTPUT",
                 "LD_PRELOAD"):
        monkeypatch.setenv(name, "/somewhere/else")
    build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache")
    names = {line.split("=")[0] for line in seen.read_text().splitlines()}
    assert names - {"PWD", "SHLVL", "_"} == {"PATH", "LANG", "LC_ALL", "TMPDIR"}


@pytest.mark.parametrize("prlimit", [True, False], ids=["through prlimit", "set in the child"])
def test_a_tool_runs_within_the_limits(tmp_path, monkeypatch, prlimit):
    if not prlimit:
        monkeypatch.setattr(limits, "_prlimit", lambda: None)
    elif limits._prlimit() is None:
        pytest.skip("util-linux prlimit is not installed here")
    seen = tmp_path / "limits"
    tools = _compiler(tmp_path / "ulimit-gcc",
                      f"echo $(ulimit -v) $(ulimit -t) $(ulimit -f) $(ulimit -c) > {seen}\n"
                      "exec gcc \"$@\"\n")
    build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache",
                limits=Limits(memory=300 << 20, cpu=3, file=1 << 20))
    # ulimit speaks in KiB, and in blocks of 512 bytes for -f under POSIX sh
    assert seen.read_text().split() in (["307200", "3", "2048", "0"],
                                          ["307200", "3", "1024", "0"])


def test_a_limit_hit_is_remembered_and_not_tried_again(tmp_path):
    calls = tmp_path / "calls"
    # A compiler stopped at the file size limit, as `as` is by a `.fill` of 256 MiB.
    tools = _compiler(tmp_path / "big-gcc", f"echo run >> {calls}\nkill -XFSZ $$\n")
    with pytest.raises(LimitHit, match="big-gcc wrote a file larger than 8 MiB"):
        build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache")
    build._FAILED.clear()      # a second process: only the cache remembers
    with pytest.raises(LimitHit, match="big-gcc wrote a file larger than 8 MiB") as second:
        build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache")
    assert (calls.read_text(), second.value.within) == ("run\n", "512 MiB / 10 s")
    # with other limits the same code is tried again
    with pytest.raises(LimitHit):
        build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache",
                    limits=Limits(file=16 << 20))
    assert calls.read_text() == "run\nrun\n"


def test_a_failed_build_is_not_run_again_in_the_same_process(tmp_path):
    calls = tmp_path / "calls"
    tools = _compiler(tmp_path / "broken-gcc", f"echo run >> {calls}\necho 'x.c:1: error: no' >&2\n"
                                               "exit 1\n")
    for _ in range(2):
        with pytest.raises(build.ToolchainError, match="error: no"):
            build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "c")
    assert calls.read_text() == "run\n"


def test_an_image_too_large_to_load_is_a_limit_hit_before_it_is_read(tmp_path):
    # 6 MiB of .bss: written out by ld (within the 8 MiB a file may take), too large to map
    huge = build.SourceFile("huge.c", "static char room[6 << 20];\n"
                                      "char *toolkit_room(void) { return room; }\n")
    with pytest.raises(LimitHit, match=r"the linked image takes 6 MiB of memory, more than the "
                                       r"4 MiB it may take"):
        build.build([huge], "x86_64", cache=tmp_path)
    assert [p.suffix for p in tmp_path.iterdir()] == [".limit"]


def test_a_large_image_within_the_limits_is_built_but_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "KEEP_AT_MOST", 1024)
    image = build.build(_sources("answer.c"), "x86_64", cache=tmp_path)
    assert image.symbol("toolkit_answer") and not list(tmp_path.glob("*.elf"))


def test_the_cache_is_trimmed_least_recently_used_first(tmp_path):
    for age, name in enumerate(("newest", "middle", "oldest")):
        path = tmp_path / "build" / f"{name}.elf"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x" * 400)
        os.utime(path, (1e9 - age * 100, 1e9 - age * 100))
    assert cache.touch(tmp_path / "build" / "oldest.elf")       # used just now
    assert not cache.touch(tmp_path / "build" / "absent.elf")
    cache.trim(tmp_path, cap=1100)          # 1200 bytes: down to three quarters of the cap
    assert sorted(p.stem for p in (tmp_path / "build").iterdir()) == ["newest", "oldest"]
    cache.trim(tmp_path, cap=1100)          # under the cap: nothing more goes
    assert len(list((tmp_path / "build").iterdir())) == 2
