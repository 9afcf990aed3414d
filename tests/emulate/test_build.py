"""Building with the real toolchain: linking at kernel addresses, the build cache, and tool errors."""

import stat
import time
from pathlib import Path

import pytest

from toolkit import cache
from toolkit.emulate import build
from toolkit.emulate.limits import LimitHit, Limits
from toolkit.errors import ToolchainError

DATA = Path(__file__).parents[1] / "data/emulate/toolchain"


def _sources(*names):
    return [build.SourceFile(name, (DATA / name).read_text()) for name in names]


def test_image_is_linked_at_the_kernel_address_with_symbols(tmp_path):
    image = build.build(_sources("answer.c", "stub.s"), "x86_64", cache=tmp_path)
    base = build.LINK_ADDRESS["x86_64"]
    assert {name: image.symbols[name] >= base for name in ("toolkit_add_answer", "toolkit_answer",
                                                             "toolkit_stub")} == {
        "toolkit_add_answer": True, "toolkit_answer": True, "toolkit_stub": True}
    stub = image.symbol("toolkit_stub")
    text = next(s for s in image.segments if s.address <= stub < s.address + len(s.data))
    assert (text.executable, text.data[stub - text.address:][:3]) == (True, b"\x6a\xff\xf4")
    data = next(s for s in image.segments if s.writable)
    offset = image.symbol("toolkit_answer") - data.address
    assert int.from_bytes(data.data[offset:offset + 8], "little") == 42


def test_x86_32_links_at_its_own_address(tmp_path):
    image = build.build(_sources("answer.c"), "x86_32", cache=tmp_path)
    assert image.symbol("toolkit_answer") >> 24 == build.LINK_ADDRESS["x86_32"] >> 24


def _compiler(path, script):
    """A toolchain whose compiler is the shell script `script`, written to `path`."""
    path.write_text(f"#!/bin/sh\n{script}")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return build.Toolchain.from_environ({"CC": str(path)})


def test_second_build_of_the_same_sources_runs_no_tool(tmp_path):
    log = tmp_path / "calls.log"
    tools = _compiler(tmp_path / "logging-gcc", f"echo \"$@\" >> {log}\nexec gcc \"$@\"\n")
    first = build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache")
    calls = log.read_text().count("\n")
    second = build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache")
    assert (calls, log.read_text().count("\n"), second.symbols) == (1, 1, first.symbols)
    changed = [build.SourceFile("answer.c", (DATA / "answer.c").read_text() + "long more;\n")]
    build.build(changed, "x86_64", toolchain=tools, cache=tmp_path / "cache")
    assert log.read_text().count("\n") == 2


def test_a_cache_that_cannot_be_written_still_builds(tmp_path):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be")
    image = build.build(_sources("answer.c"), "x86_64", cache=blocked)
    assert image.symbol("toolkit_answer") >> 24 == build.LINK_ADDRESS["x86_64"] >> 24
    assert blocked.read_text() == "a file where the cache folder would be"


def test_cross_compile_prefix_names_the_tools():
    tools = build.Toolchain.from_environ({"CROSS_COMPILE": "x86_64-linux-gnu-", "LD": "ld.bfd"})
    assert (tools.cc, tools.as_, tools.ld) == ("x86_64-linux-gnu-gcc", "x86_64-linux-gnu-as",
                                               "ld.bfd")


def test_missing_compiler_is_a_toolchain_error(tmp_path):
    tools = build.Toolchain.from_environ({"CC": "no-such-gcc-here"})
    with pytest.raises(ToolchainError, match="C compiler 'no-such-gcc-here' not found.*set CC"):
        build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path)


def test_compile_error_names_the_file_and_the_message(tmp_path):
    with pytest.raises(ToolchainError) as caught:
        build.build(_sources("broken.c"), "x86_64", cache=tmp_path)
    assert (caught.value.path, "undeclared_name" in caught.value.why) == ("broken.c", True)
    assert not list(tmp_path.glob("*.elf"))


def test_cache_lives_under_xdg_cache_home():
    assert cache.folder("build", {"XDG_CACHE_HOME": "/x"}) == Path("/x/toolkit/build")
    assert cache.folder("build", {}) == Path.home() / ".cache/toolkit/build"


def test_a_system_header_is_not_found(tmp_path):
    with pytest.raises(ToolchainError) as caught:
        build.build(_sources("includes-stdio.c"), "x86_64", cache=tmp_path)
    assert (caught.value.path, caught.value.line, "stdio.h" in caught.value.why) == (
        "includes-stdio.c", 2, True)


def test_a_tool_that_runs_too_long_is_stopped(tmp_path):
    # A compiler that never finishes, and a child of it that would outlive a kill of the shell.
    children = tmp_path / "children"
    tools = _compiler(tmp_path / "slow-gcc", f"sleep 30 &\necho $! > {children}\nwait\n")
    with pytest.raises(LimitHit, match=r"answer.c: .*slow-gcc took longer than 1 s"):
        build.build(_sources("answer.c"), "x86_64", toolchain=tools, cache=tmp_path / "cache",
                    limits=Limits(wall=1))
    stat_file = Path(f"/proc/{children.read_text().strip()}/stat")
    # gone, or a zombie waiting for a parent that reaps it: either way it runs no more (on a busy
    # machine the kill may take a moment to be delivered)
    for _ in range(100):
        if not stat_file.exists() or stat_file.read_text().split(")")[1].split()[0] == "Z":
            break
        time.sleep(0.01)
    else:
        raise AssertionError(f"the tool's child still runs: {stat_file.read_text()}")


def test_a_link_error_quotes_the_undefined_name_not_a_warning(tmp_path):
    with pytest.raises(ToolchainError) as caught:
        build.build(_sources("undefined.s"), "x86_32", cache=tmp_path)
    assert "toolkit_never_defined" in caught.value.why
