"""Scenarios per second for the built-in tables: one emulator reused (context restore) against a
fresh emulator per scenario, measured in the same run. Run by hand:

    .venv/bin/python bench/bench_emulate.py [--arch x86_64|x86_32] [--passes N] [--fresh N]

"cold" includes running every real instruction once (the references); later passes find the
references already run, as a second code under test of the same architecture does (the FRED model,
each mutant). "bare round trip" repeats one int3 round trip with nothing else around it.
"""

from __future__ import annotations

import argparse
import time

from toolkit import build, codeundertest, emulate, scenarios, validation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=("x86_64", "x86_32"), default="x86_64")
    parser.add_argument("--passes", type=int, default=5, help="warm passes over the table")
    parser.add_argument("--fresh", type=int, default=200,
                        help="scenarios to run with a fresh emulator each (the baseline)")
    args = parser.parse_args()

    code = codeundertest.generated_code(args.arch)
    rows = [s for table in scenarios.builtin_tables() for s in scenarios.load_table(table)
            if s.variant is None and not validation.skip_reason(s, code)]
    image = build.build(code.sources(), args.arch)
    machine = emulate.Machine(image)
    runner = validation.Runner(machine, code)

    started = time.perf_counter()
    outcomes = runner.judge_all(rows)
    cold = len(rows) / (time.perf_counter() - started)
    failed = sum(o.status is not scenarios.Status.PASSED for o in outcomes)

    warm = []
    for _ in range(args.passes):
        started = time.perf_counter()
        runner.judge_all(rows)
        warm.append(len(rows) / (time.perf_counter() - started))

    # The baseline: a new emulator (mapping, loading, GDT, hooks) for every scenario.
    sample = rows[:args.fresh]
    started = time.perf_counter()
    for s in sample:
        validation.forget_references()
        validation.Runner(emulate.Machine(image), code).judge_all([s])
    fresh = len(sample) / (time.perf_counter() - started)

    # One int3 round trip (a call at an aligned stack) repeated, with the emulator reused.
    call = next(s for s in rows if s.name == "call/aligned")
    probe = runner.probe(call)
    machine.place(machine.layout.site, emulate.INT3)
    count = 5000
    started = time.perf_counter()
    for _ in range(count):
        machine.run(probe)
    bare = count / (time.perf_counter() - started)

    print(f"{args.arch}: {len(rows)} scenarios in the built-in tables ({failed} not passed)")
    print(f"  reused emulator, cold (references run):   {cold:9,.0f} scenarios/s")
    print(f"  reused emulator, warm (best of {args.passes}):        {max(warm):9,.0f} scenarios/s")
    print(f"  fresh emulator per scenario ({len(sample)}):       {fresh:9,.0f} scenarios/s")
    print(f"  bare int3 round trip (one run):            {bare:9,.0f} runs/s")
    print(f"  reuse speed-up over fresh: cold {cold / fresh:.0f}x, warm {max(warm) / fresh:.0f}x")


if __name__ == "__main__":
    main()
