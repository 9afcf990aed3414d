"""Scenarios per second for the built-in tables: one emulator reused (context restore) against a
fresh emulator per scenario, measured in the same run. Run by hand:

    .venv/bin/python bench/bench_emulate.py [--arch x86_64|x86_32] [--passes N] [--fresh N]

What each line means (a scenario is two runs in Unicorn: its real instruction, the reference, and
the int3 round trip through the code under test; both are judged as `toolkit validate` judges them):

- cold, first pass: the whole table on a machine that has run nothing yet, so it also pays for
  translating the code once and for making the watching twin; this is what one `toolkit validate`
  of one code under test sees.
- cold: the whole table again with every reference forgotten first, so both runs of every scenario
  happen (best of --passes); the cost per scenario without the one-time costs.
- warm: the whole table with the references already run, as for a second code under test of the
  same architecture (the FRED model, each mutant): one run per scenario (best of --passes).
- fresh emulator per scenario: the baseline, a new machine (mapping, loading, GDT, hooks) for each
  of the first --fresh scenarios, both runs counted.
- bare int3 round trip: one run of a call at an aligned stack repeated, nothing judged.
"""

from __future__ import annotations

import argparse
import time

from toolkit import build, codeundertest, emulate, scenarios, validation


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
    machine = emulate.Machine(image)
    runner = validation.Runner(machine, code)

    def rate(forget: bool) -> float:
        if forget:
            validation.forget_references()
        started = time.perf_counter()
        outcomes = runner.judge_all(rows)
        elapsed = time.perf_counter() - started
        if any(o.status is not scenarios.Status.PASSED for o in outcomes):
            raise SystemExit("a scenario did not pass: this is no benchmark, run toolkit validate")
        return len(rows) / elapsed

    first = rate(forget=True)
    cold = max(rate(forget=True) for _ in range(args.passes))
    warm = max(rate(forget=False) for _ in range(args.passes))

    sample = rows[:args.fresh]
    started = time.perf_counter()
    for s in sample:
        validation.forget_references()
        validation.Runner(emulate.Machine(image), code).judge_all([s])
    fresh = len(sample) / (time.perf_counter() - started)

    call = next(s for s in rows if s.name == "call/aligned")
    probe = runner.probe(call)
    machine.place(machine.layout.site, emulate.INT3)
    count = 5000
    started = time.perf_counter()
    for _ in range(count):
        machine.run(probe)
    bare = count / (time.perf_counter() - started)

    print(f"{args.arch}: {len(rows)} scenarios in the built-in tables, all passed")
    print(f"  reused emulator, cold, first pass:           {first:9,.0f} scenarios/s")
    print(f"  reused emulator, cold (best of {args.passes}):          {cold:9,.0f} scenarios/s")
    print(f"  reused emulator, warm (best of {args.passes}):          {warm:9,.0f} scenarios/s")
    print(f"  fresh emulator per scenario ({len(sample)}):         {fresh:9,.0f} scenarios/s")
    print(f"  bare int3 round trip (one run):              {bare:9,.0f} runs/s")
    print(f"  reuse speed-up over fresh: cold {cold / fresh:.0f}x, warm {warm / fresh:.0f}x")


if __name__ == "__main__":
    main()
