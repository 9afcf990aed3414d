"""The generated harness and helpers run in the emulator: rows of tests/data/codegen/harness/runs.toml."""

import struct
import tomllib
from pathlib import Path

import pytest

from toolkit import x86
from toolkit.codegen import render
from toolkit.codegen.target import Target
from toolkit.emulate import build
from toolkit.emulate.machine import Machine, Probe
from toolkit.errors import ToolchainError

RUNS = tomllib.loads((Path(__file__).parents[1] / "data/codegen/harness/runs.toml").read_text())["run"]

HANDLER = """\
#include "toolkit_prelude.h"
#include "text-patching.h"

unsigned long toolkit_target;
void toolkit_int3_handler(struct pt_regs *regs);

void toolkit_int3_handler(struct pt_regs *regs)
{{
\t{body}
}}
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("build-cache")


def machine(t: Target, body: str, cache: Path):
    sources = [build.SourceFile("toolkit_prelude.h", render.render_prelude(t)),
               build.SourceFile("text-patching.h", render.render_header(t)),
               build.SourceFile("handler.c", HANDLER.format(body=body)),
               build.SourceFile("harness.s", render.render_harness(t))]
    try:
        image = build.build(sources, t.arch, cache=cache)
    except ToolchainError as error:
        if "not found" in error.what:
            pytest.skip(f"no toolchain: {error}")
        raise
    return Machine(image, delivery=t.delivery), image


@pytest.mark.parametrize("row", RUNS, ids=lambda r: f"{r['target']}-{r['handler'][:18]}-{r['below']:#x}")
def test_round_trip_through_the_harness(row, cache):
    t = Target(**row["target"])
    m, image = machine(t, row["handler"], cache)
    layout, word = m.layout, t.word
    pack = "<Q" if word == 8 else "<I"
    ring3 = row.get("ring", 0) == 3
    site = layout.user_site if ring3 else layout.site
    sites = layout.user_sites if ring3 else layout.sites
    sp = (layout.user_stack_top if ring3 else layout.stack_top) - row["below"]
    if ring3:
        m.uc.mem_write(site, x86.INT3 + b"\x90" * 4)
    else:
        m.place(site, x86.INT3 + b"\x90" * 4)
    addresses = {"target": sites + 0x100, "pushed": sites + 0x200, "site+5": site + 5}
    # Every general register gets a value of its own, so a register the round trip loses shows.
    gprs = [r for r in layout.registers[:-4] if r != layout.sp]
    values = {r: 0x1000 + 0x11 * i for i, r in enumerate(gprs)}
    probe = Probe(
        site, ((layout.sp, sp), (layout.flags, 0x246), *values.items()),
        memory=((image.symbol("toolkit_target"), struct.pack(pack, addresses["target"])),
                (sp, struct.pack(pack, addresses["pushed"]))),
        window=(sp - 16 * word, sp + 16 * word), ring=row.get("ring", 0))
    run = m.run(probe)

    assert (run.stop, run.stopped_at) == ("halt", addresses[row["lands"]]), run.detail
    new_sp = run.registers[layout.sp]
    assert new_sp - sp == row["sp"] * word
    assert {r: run.registers[r] for r in gprs} == values
    if "top" in row:
        assert struct.unpack(pack, run.memory(new_sp, word))[0] == addresses[row["top"]]
