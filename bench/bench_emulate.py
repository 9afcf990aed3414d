"""Scenarios per second for the built-in tables: one emulator reused (context restore) against a
fresh emulator per scenario, measured in the same run. Run by hand:

    .venv/bin/python bench/bench_emulate.py [--arch x86_64|x86_32] [--passes N] [--fresh N]

What each line means (a scenario is two runs in Unicorn: its real instruction, the reference, and
the int3 round trip through the code under test; both are judged as `toolkit validate` judges them):

- cold, first pass: the whole table on a machine that has run nothing yet, in a process that has
  run nothing yet: it also pays for translating the code, making the watching twin and loading
  capstone for the evidence of the caught control; what one `toolkit validate` of one code sees.
- cold, new machine: the same on a new machine each pass (best of --passes), the process warm.
- cold, same machine: the whole table again on the first machine with every reference forgotten
  first, so both runs of every scenario happen (best of --passes), with what the machine keeps
  from run to run (translations, saved CPU states, clean stack images) already made.
- warm: the whole table with the references already run, as for a second code under test of the
  same architecture (the FRED model, each mutant): one run per scenario (best of --passes).
- fresh emulator per scenario: the baseline, a new machine (mapping, loading, GDT, hooks) for each
  of the first --fresh scenarios, both runs counted.
- bare int3 round trip: one run of a call at an aligned stack repeated, nothing judged.
"""

from __future__ import annotations

import argparse
import time

from toolkit import x86
from toolkit.emulate import build
from toolkit.emulate.machine import Machine
from toolkit.validate import code as codeundertest
from toolkit.validate import runner as validation
from toolkit.validate import scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=("x86_64", "x86_32"), default="x86_64")
    parser.add_argument("--passes", type=int, default=5, help="cold and warm passes over the table")
    parser.add_argument("--fresh", type=int, default=200,
                        help="scenarios to run with a fresh emulator each (the baseline)")
    args = parser.parse_args()

    code = codeundertest.generated_code(args.arch)
    rows = [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)
            if s.variant is None and not validation.skip_reason(s, code)]
    image = build.build(code.sources(), args.arch)

    def rate(runner: validation.Runner, forget: bool = True) -> float:
        if forget:
            validation.forget_references()
        started = time.perf_counter()
        outcomes = runner.judge_all(rows)
        elapsed = time.perf_counter() - started
        if any(o.status is not scenarios.Status.PASSED for o in outcomes):
            raise SystemExit("a scenario did not pass: this is no benchmark, run toolkit validate")
        return len(rows) / elapsed

    def new_runner() -> validation.Runner:
        return validation.Runner(Machine(image), code)

    runner = new_runner()
    machine = runner.machine
    first = rate(runner)
    cold_new = max(rate(new_runner()) for _ in range(args.passes))
    cold = max(rate(runner) for _ in range(args.passes))
    warm = max(rate(runner, forget=False) for _ in range(args.passes))

    sample = rows[:args.fresh]
    started = time.perf_counter()
    for s in sample:
        validation.forget_references()
        validation.Runner(Machine(image), code).judge_all([s])
    fresh = len(sample) / (time.perf_counter() - started)

    call = next(s for s in rows if s.name == "call/aligned")
    probe = runner.probe(call)
    machine.place(machine.layout.site, x86.INT3)
    count = 5000
    started = time.perf_counter()
    for _ in range(count):
        machine.run(probe)
    bare = count / (time.perf_counter() - started)

    print(f"{args.arch}: {len(rows)} scenarios in the built-in tables, all passed")
    lines = [("reused emulator, cold, first pass", first, "scenarios"),
             (f"reused emulator, cold, new machine (best of {args.passes})", cold_new, "scenarios"),
             (f"reused emulator, cold, same machine (best of {args.passes})", cold, "scenarios"),
             (f"reused emulator, warm (best of {args.passes})", warm, "scenarios"),
             (f"fresh emulator per scenario ({len(sample)})", fresh, "scenarios"),
             ("bare int3 round trip (one run)", bare, "runs")]
    for label, value, unit in lines:
        print(f"  {label + ':':<52} {value:9,.0f} {unit}/s")
    print(f"  reuse speed-up over fresh: cold {cold_new / fresh:.0f}x to {cold / fresh:.0f}x, "
          f"warm {warm / fresh:.0f}x")


if __name__ == "__main__":
    main()
