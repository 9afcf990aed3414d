"""Validation: scenarios run on the code under test, each judged against the real instruction.

The code is built once per variant and loaded into one machine; the real instruction of each
scenario is run first, then the int3 path with the helper in its place, and the two are compared.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Callable, Sequence

from toolkit.emulate import build

# BudgetSpent and LimitHit tell the caller of validate() why an ERROR outcome could not run.
from toolkit.emulate.limits import DEFAULT, BudgetSpent, LimitHit, Limits  # noqa: F401
from toolkit.emulate.machine import Machine, Probe
from toolkit.errors import ToolkitError
from toolkit.validate import evidence
from toolkit.validate.code import CodeUnderTest, VariantMismatch
from toolkit.validate.scenarios import (
    CALL_TARGET,
    CHECKS,
    RET_TARGET,
    SENTINEL,
    SENTINELS,
    Outcome,
    Scenario,
    Status,
    Variant,
    address,
    handler_parameters,
    site_code,
)
from toolkit.x86 import HELPER_OF, INT3, pack_format, reference


def validate(code: CodeUnderTest, scenarios: Sequence[Scenario], *, cache: Path | None = None,
             progress: Callable[[int, int], None] | None = None,
             limits: Limits = DEFAULT, deadline: float | None = None) -> list[Outcome]:
    """Outcomes of `scenarios` on `code`, in the order given. One build and one machine per variant,
    each build within `limits` and before `deadline` (build.build); a variant that cannot be
    built gives ERROR outcomes that carry the error."""
    # A missing compiler is no scenario's fault: say so once, before anything runs.
    build.Toolchain.from_environ().resolve()
    outcomes: dict[int, Outcome] = {}
    runnable: dict[Variant | None, list[tuple[int, Scenario]]] = {}
    for index, s in enumerate(scenarios):
        reason = skip_reason(s, code)
        if reason:
            outcomes[index] = Outcome(s, Status.SKIPPED, reason)
        else:
            runnable.setdefault(s.variant, []).append((index, s))
    done = len(outcomes)
    for variant, batch in runnable.items():
        try:
            varied = code.with_variant(variant) if variant else code
            image = build.build(varied.sources(), code.arch, cache=cache, limits=limits,
                                deadline=deadline)
            machine = Machine(image, delivery=code.delivery)
        except VariantMismatch as error:
            outcomes.update((i, Outcome(s, Status.SKIPPED, str(error))) for i, s in batch)
            continue
        except ToolkitError as error:
            outcomes.update((i, Outcome(s, Status.ERROR, f"cannot run: {error}", error=error))
                            for i, s in batch)
            continue
        runner = Runner(machine, code)
        for (index, s), outcome in zip(batch, runner.judge_all([s for _, s in batch])):
            outcomes[index] = outcome
            done += 1
            if progress and done % 64 == 0:
                progress(done, len(scenarios))
    if progress:
        progress(len(scenarios), len(scenarios))
    return [outcomes[i] for i in range(len(scenarios))]


def prebuild(code: CodeUnderTest, *, limits: Limits = DEFAULT,
             deadline: float | None = None) -> None:
    """Build `code` into the build cache ahead of `validate` (which reports what fails)."""
    try:
        build.build(code.sources(), code.arch, limits=limits, deadline=deadline)
    except ToolkitError:
        pass


def skip_reason(s: Scenario, code: CodeUnderTest) -> str | None:
    if code.missing:
        return code.missing
    if s.skip:
        return s.skip
    if s.arch and s.arch != code.arch:
        return f"only for {s.arch}"
    if s.delivery and s.delivery != code.delivery:
        return f"only for {s.delivery} event delivery"
    if HELPER_OF[s.insn] not in code.helpers:
        return f"{code.label} has no int3_emulate_{HELPER_OF[s.insn]}"
    if s.insn in ("push", "pop", "jcc") and "jmp" not in code.helpers:
        return f"{code.label} has no int3_emulate_jmp to continue after {s.insn}"
    return None


# Runs of the real instructions, by architecture, instruction bytes and probe.
_REFERENCES: dict[tuple, Any] = {}


def forget_references() -> None:
    """Run every real instruction again from now on (a benchmark's cold start)."""
    _REFERENCES.clear()


class Runner:
    """Runs scenarios on one machine: every reference first (each distinct instruction is placed
    once), then every emulated run with int3 at the site."""

    def __init__(self, machine, code: CodeUnderTest) -> None:
        self.machine = machine
        self.layout = machine.layout
        self.word = machine.layout.word
        self.ptregs = reference(code.arch)
        # Every general register starts with its own pattern, so that a swap or a clobber shows.
        self.registers = tuple(
            (name, 0x0101010101010101 * (i + 1) & (1 << 8 * self.word) - 1)
            for i, name in enumerate(self.layout.registers[:-4]) if name != self.layout.sp)
        self.stacks: dict[tuple, tuple] = {}
        self.kernel_callee = machine.image.symbol("toolkit_callee")
        self.parameters = machine.image.symbol("toolkit_scenario")
        # A user-mode call cannot reach kernel text, so from ring 3 the callee is a bare ret.
        self.user_callee = self.layout.user_site + CALL_TARGET
        machine.place(self.user_callee, b"\xc3")                                        # ret

    def callee(self, s: Scenario) -> int:
        return self.user_callee if s.ring == 3 else self.kernel_callee

    def judge_all(self, scenarios: Sequence[Scenario]) -> list[Outcome]:
        probes = [self.probe(s) for s in scenarios]
        codes = [site_code(s, probe.start, self.callee(s)) for s, probe in zip(scenarios, probes)]
        references = [None] * len(scenarios)
        order = list(zip([s.ring for s in scenarios], codes))
        for i in sorted(range(len(scenarios)), key=order.__getitem__):
            # The real instruction's behaviour depends on nothing but its bytes and its input, so
            # it is run once per architecture; a round trip also runs the image's own callee.
            key = None if scenarios[i].roundtrip else (self.layout.arch, codes[i], probes[i])
            run = _REFERENCES.get(key)
            if run is None:
                self.machine.place(probes[i].start, codes[i])
                run = self.machine.run(probes[i])
                if key is not None:
                    _REFERENCES[key] = run
            references[i] = run
        self.machine.place(self.layout.site, INT3)
        self.machine.place(self.layout.user_site, INT3)
        # Rows that exercise the frame itself are always watched: some damage (a clobbered saved
        # SS on x86_32, say) changes no register and only the write hook sees it. They run last,
        # because a watched run leaves the translation cache to be rebuilt.
        watched = [s.roundtrip or bool(s.checks) or s.expect == "fail" or s.variant is not None
                   for s in scenarios]
        outcomes = [None] * len(scenarios)
        for i in sorted(range(len(scenarios)), key=watched.__getitem__):
            run = self.machine.run(probes[i], watch=watched[i])
            outcomes[i] = self.judge(scenarios[i], references[i], run, probes[i])
        return outcomes

    def _site(self, s: Scenario) -> int:
        return self.layout.user_site if s.ring == 3 else self.layout.site

    def probe(self, s: Scenario):
        site = self._site(s)
        registers, stack, window = self._stack(s, site)
        parameters = handler_parameters(s, site, self.callee(s), self.word)
        return Probe(site, registers + ((self.layout.flags, s.flags),),
                     (stack, (self.parameters, parameters)), window, s.ring)

    def _stack(self, s: Scenario, site: int):
        """The registers with the stack pointer, the words above it and the window read back
        afterwards: the same for every scenario of a ring, a stack and a kind of instruction."""
        key = (s.ring, s.stack, s.insn == "ret")
        if key not in self.stacks:
            layout, word = self.layout, self.word
            top = layout.user_stack_top if s.ring == 3 else layout.stack_top
            sp = {"aligned": top - 0x100, "misaligned": top - 0x108,
                  "page": top - SENTINELS * word}[s.stack]
            words = [(SENTINEL << 8 * word - 16) + i for i in range(SENTINELS)]
            if s.insn == "ret":
                words[0] = site + RET_TARGET
            fmt = pack_format(word, SENTINELS)
            self.stacks[key] = (self.registers + ((layout.sp, sp),),
                                (sp, struct.pack(fmt, *words)), (sp - 64 * word, top))
        return self.stacks[key]

    def judge(self, s: Scenario, reference, run, probe) -> Outcome:
        if reference.stop != "halt":
            return Outcome(s, Status.ERROR, f"the real instruction did not complete: "
                           f"{reference.stop} {reference.detail} at {address(reference.stopped_at)}")
        problem = self.difference(s, reference, run)
        report = None
        if problem is not None or run.steps:
            # An unwatched run that went wrong is run again watched, for the evidence and for the
            # write hook, which names the cause (the slot hit, by which instruction) where the
            # difference shows only a symptom.
            watched = run if run.steps else self.machine.run(probe, watch=True)
            bad = evidence.bad_writes(watched, self.ptregs)
            if bad:
                problem = "; ".join(filter(None, (bad[0]["text"], problem)))
            elif problem is not None:
                problem = "; ".join(filter(None, (evidence.bad_copy(watched, self.ptregs),
                                                  problem)))
            if problem is not None:
                report = evidence.collect(s.name, probe, reference, watched, self.layout,
                                          self.ptregs)
        caught = problem is not None
        if s.expect == "fail":
            status = Status.PASSED if caught else Status.FAILED
            reason = (f"caught: {problem}" if caught else
                      "not caught: the faulty code behaved like the real instruction")
        else:
            status = Status.FAILED if caught else Status.PASSED
            reason = problem or ""
        return Outcome(s, status, reason, report)

    def difference(self, s: Scenario, reference, run) -> str | None:
        """The first way the emulated run differs from the real instruction, or None."""
        if run.stop != "halt":
            return {"fault": f"{run.detail} fault at {address(run.stopped_at)}",
                    "unmapped": f"unmapped {run.detail}, by the instruction at "
                                f"{address(run.stopped_at)}"}.get(
                run.stop, f"{run.detail} (stopped at {address(run.stopped_at)})")
        if run.registers != reference.registers:
            return ", ".join(f"{name} {run.registers[name]:#x} (real instruction: {value:#x})"
                             for name, value in reference.registers.items()
                             if run.registers[name] != value)
        sp = reference.registers[self.layout.sp]
        start, real = reference.window
        _, emulated = run.window
        above = sp - start
        for offset in range(above, len(real), self.word) if real[above:] != emulated[above:] else ():
            want, got = real[offset:offset + self.word], emulated[offset:offset + self.word]
            if want != got:
                return (f"stack word at {address(start + offset)} (sp+{offset - (sp - start)}) is "
                        f"{int.from_bytes(got, 'little'):#x} (real instruction: "
                        f"{int.from_bytes(want, 'little'):#x})")
        for check in s.checks:
            problem = CHECKS[check](s, run, self.machine, self.ptregs.size)
            if problem:
                return problem
        return None




