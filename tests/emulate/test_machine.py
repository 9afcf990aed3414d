"""The machine model: where each #BP delivery model puts its frame, bounded runs, and faults."""

import struct
import tomllib
from pathlib import Path

import pytest

from toolkit import x86
from toolkit.emulate import build
from toolkit.emulate import machine as emulator
from toolkit.errors import EmulationError

DATA = Path(__file__).parents[1] / "data/emulate/machine"
CASES = tomllib.loads((DATA / "delivery.toml").read_text())["case"]


def _machine(arch, delivery="idt", source=None, tmp_cache=None):
    source = source or f"halt_entry_{arch[4:]}.s"
    image = build.build([build.SourceFile(source, (DATA / source).read_text())], arch, cache=tmp_cache)
    return emulator.Machine(image, delivery=delivery)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("build-cache")


@pytest.mark.parametrize("case", CASES, ids=[f"{c['arch']}-{c['delivery']}-ring{c['ring']}-sp{c['sp_below_top']:#x}"
                                             for c in CASES])
def test_breakpoint_frame(case, cache):
    machine = _machine(case["arch"], case["delivery"], tmp_cache=cache)
    layout = machine.layout
    ring3 = case["ring"] == 3
    site = layout.user_site if ring3 else layout.site
    stack_top = layout.user_stack_top if ring3 else layout.stack_top
    sp = stack_top - case["sp_below_top"]
    (machine.place(site, x86.INT3) if not ring3 else
     machine.uc.mem_write(site, x86.INT3))
    flags = 0x246
    run = machine.run(emulator.Probe(site, ((layout.sp, sp), (layout.flags, flags)), ring=case["ring"]))
    base = {"sp": sp, "task_top": layout.task_top}[case["frame"]["base"]]
    frame_at = base + case["frame"]["offset"]
    words = len(case["slots"])
    fmt = "<%d%s" % (words, "Q" if layout.word == 8 else "I")
    values = dict(zip(case["slots"], struct.unpack(fmt, machine.uc.mem_read(frame_at, words * layout.word))))
    cs = layout.user_cs if ring3 else layout.kernel_cs
    expected = {"ip": site + 1, "cs": cs, "flags": flags, "sp": sp,
                "ss": layout.user_ss if ring3 else layout.kernel_ss}
    assert (run.stop, run.stopped_at) == ("halt", layout.sites)
    assert (run.frame.address, run.frame.slots) == (frame_at, tuple(case["slots"]))
    assert {k: values[k] & 0xFFFF if k == "ss" else values[k] for k in expected if k in values} == {
        k: v for k, v in expected.items() if k in values}
    # The handler runs with interrupts off and the stack pointer at the frame.
    assert (run.registers[layout.flags] & 0x200, run.registers[layout.sp]) == (0, frame_at)
    assert run.registers["cs"] == layout.kernel_cs


def test_fred_return_comes_back_to_the_site(cache):
    machine = _machine("x86_64", "fred", "fred_return_64.s", cache)
    layout = machine.layout
    machine.place(layout.site, x86.INT3)
    sp = layout.stack_top - 0x100
    run = machine.run(emulator.Probe(layout.site, ((layout.sp, sp), ("rflags", 0x246))))
    assert (run.stop, run.stopped_at, run.registers["rsp"], run.registers["rflags"] & 0x200) == (
        "halt", layout.site + 1, sp, 0x200)


def test_a_runaway_loop_stops_at_the_limit(cache):
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, b"\xeb\xfe")  # jmp . (a loop that never ends)
    run = machine.run(emulator.Probe(machine.layout.site, ()))
    assert (run.stop, run.stopped_at) == ("limit", machine.layout.site)


def test_a_fault_is_an_outcome_with_its_vector(cache):
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, b"\x0f\x0b")  # ud2
    run = machine.run(emulator.Probe(machine.layout.site, ()))
    assert (run.stop, run.detail, run.stopped_at) == ("fault", "#UD", machine.layout.site)


def test_an_unmapped_access_is_an_outcome(cache):
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, b"\x48\x8b\x04\x25\x00\x00\x00\x00")  # mov 0x0, %rax
    run = machine.run(emulator.Probe(machine.layout.site, ()))
    assert (run.stop, run.detail, run.stopped_at) == ("unmapped", "read of 8 bytes at 0x0",
                                                      machine.layout.site)


def _pushing(cache):
    """An x86_64 machine with `push $7; hlt` at the site, and a stack pointer for it."""
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, b"\x6a\x07" + x86.HLT)
    return machine, machine.layout, machine.layout.stack_top - 0x40


def test_watched_run_traces_and_sees_writes(cache):
    machine, layout, sp = _pushing(cache)
    run = machine.run(emulator.Probe(layout.site, ((layout.sp, sp),), window=(sp - 8, sp)), watch=True)
    assert [(s.address - layout.site, s.text) for s in run.trace] == [(0, "pushq $7"), (2, "hlt")]
    assert (run.stop, run.stopped_at) == ("halt", layout.site + 2)
    assert [(w.address, w.size, w.value) for w in run.writes] == [(sp - 8, 8, 7)]
    assert run.memory(sp - 8, 8) == struct.pack("<Q", 7)


def test_state_does_not_leak_between_runs(cache):
    machine, layout, sp = _pushing(cache)
    machine.run(emulator.Probe(layout.site, ((layout.sp, sp), ("rax", 1))))
    run = machine.run(emulator.Probe(layout.site, ((layout.sp, sp + 8),), window=(sp - 8, sp)))
    assert (run.registers["rax"], run.memory(sp - 8, 8)) == (0, b"\x5a" * 8)


def test_probe_memory_is_written_wherever_it_falls_and_the_stack_top_reset_after(cache):
    machine, layout, sp = _pushing(cache)
    deep = layout.stack + 0x10            # far below the top of the stack a run is expected to use
    run = machine.run(emulator.Probe(layout.site, ((layout.sp, sp),),
                                    memory=((sp, b"\x11" * 8), (deep, b"\x22" * 8), (sp, b"\x33")),
                                    window=(layout.stack, layout.stack_top)))
    assert (run.memory(sp, 2), run.memory(deep, 8)) == (b"\x33\x11", b"\x22" * 8)
    run = machine.run(emulator.Probe(layout.site, ((layout.sp, sp),), window=(sp, sp + 8)))
    assert run.memory(sp, 8) == b"\x5a" * 8


def test_runs_past_the_states_a_machine_keeps_start_from_their_own_registers(cache):
    machine, layout, sp = _pushing(cache)
    values = range(1, emulator.MAX_SAVED_STATES + 40)
    runs = [machine.run(emulator.Probe(layout.site, ((layout.sp, sp), ("rax", v), ("rbx", v)),
                                      memory=((sp, v.to_bytes(8, "little")),), window=(sp, sp + 8)))
            for v in values]
    assert [(r.registers["rax"], r.registers["rbx"], r.memory(sp, 8)) for r in runs] == [
        (v, v, v.to_bytes(8, "little")) for v in values]


def test_fred_exists_only_for_x86_64(cache):
    with pytest.raises(EmulationError, match="no fred event delivery model for x86_32"):
        _machine("x86_32", "fred", tmp_cache=cache)


@pytest.mark.parametrize("code, detail", [
    (b"\x0f\x05", "syscall executed"),                   # syscall: a no-op to Unicorn, not a CPU
    (b"\xf4", "hlt executed outside a landing pad"),     # hlt
    (b"\x31\xc0\xff\xe0", "a jump to address 0"),         # xor %eax,%eax; jmp *%rax
])
def test_what_the_machine_does_not_follow_stops_the_run(cache, code, detail):
    machine = _machine("x86_64", tmp_cache=cache)
    # off the site page, whose every other byte is a landing pad
    away = machine.layout.gdt + 0x900
    machine.place(away, code)
    machine.place(machine.layout.site, b"\x48\xb8" + struct.pack("<Q", away) + b"\xff\xe0")
    run = machine.run(emulator.Probe(machine.layout.site, ()))               # movabs, jmp *%rax
    assert (run.stop, run.detail, run.stopped_at) == ("stopped", detail, 0 if "0" in detail
                                                       else away)


def test_a_frame_pushed_to_unmapped_memory_is_a_fault(cache):
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, x86.INT3)
    run = machine.run(emulator.Probe(machine.layout.site, ((machine.layout.sp, 0x1000),)))
    assert (run.stop, run.detail) == ("fault", "Invalid memory write (UC_ERR_WRITE_UNMAPPED)")


def test_an_error_in_a_hook_ends_the_run_and_is_raised(cache, monkeypatch):
    machine = _machine("x86_64", tmp_cache=cache)
    machine.place(machine.layout.site, x86.INT3)

    def broken(cpu):
        raise RuntimeError("broken delivery")

    monkeypatch.setattr(machine, "_deliver", broken)
    with pytest.raises(RuntimeError, match="broken delivery"):
        machine.run(emulator.Probe(machine.layout.site, ((machine.layout.sp,
                                                           machine.layout.stack_top - 0x100),)))


def test_memory_the_binding_writes_is_what_a_run_sees_and_the_other_way_round(cache):
    machine, layout, sp = _pushing(cache)
    probe = emulator.Probe(layout.site, ((layout.sp, sp),), window=(layout.stack, layout.stack_top))
    machine.run(probe)
    deep = layout.stack + 0x10            # below the top of the stack that every run resets
    machine.uc.mem_write(deep, b"\x44" * 8)
    run = machine.run(probe)
    assert run.memory(deep, 8) == b"\x44" * 8
    assert bytes(machine.uc.mem_read(sp - 8, 8)) == struct.pack("<Q", 7)
