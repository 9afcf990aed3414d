"""Fuzzing `toolkit check` from the bytes of a mail file up (run by hand).

    .venv/bin/python bench/fuzz_mail.py [--runs 1000] [--seed 19]      # mutation runs, counted
    .venv/bin/python bench/fuzz_mail.py --atheris [-max_total_time=1200]  # coverage-guided

One input is read as `toolkit check` reads a file (the mail reader, the series, every rule and the
header model on the hunks; the code of a state is not built: the trials have no budget left, so
each state gets its "not checked: budget" note instead). An input error (ToolkitError) is a
proper answer; any other exception, a run of more than 10 s or a peak memory above 256 MiB is a
defect, and the input is written to bench/crashes/ (not committed) to be made a fixture of
tests/hostilemail.py or tests/data/.

Without --atheris the inputs are the fixtures of tests/data/ and patches/ mutated with a fixed
seed: bytes flipped, inserted, deleted, ranges repeated up to thousands of times, fixtures spliced,
and pieces known to be hostile (separators, boundaries, soft breaks, huge numbers) inserted. The
counts are printed at the end. With --atheris (`pip install '.[fuzz]'`), libFuzzer drives the
same target, coverage-guided, from the same fixtures, for as long as its options say.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CRASHES = ROOT / "bench" / "crashes"
SECONDS, MEMORY = 10, 256 << 20
HOSTILE = [b"\nFrom x Mon Sep 17 00:00:00 2001\n", b"\n\n", b"From: a@b\n", b"--b\n", b"--b--\n",
           b"Content-Type: multipart/mixed; boundary=b\n", b"=\n", b"=E2=82", b"\r\n", b"\r",
           b"[PATCH 1/999999999]", b"[PATCH v99999999999999999999 3/5]", b"@@ -1,99999 +1 @@\n",
           b"diff --git a/x b/x\n", b" " * 1000, b"\x00", b"\xff\xfe", b">From ",
           b"#define A (B + B)\n", b"Content-Transfer-Encoding: base64\n", b" | 999 +++\n"]


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang


def target(data: bytes) -> str:
    """Check one input as a file: 'read', 'refused' (a ToolkitError), or raise what went wrong."""
    from toolkit.checks import catalogue
    from toolkit.checks.trial import Trials
    from toolkit.errors import ToolkitError
    from toolkit.mail import read_messages
    from toolkit.series.assemble import group

    with tempfile.NamedTemporaryFile(suffix=".mbox") as handle:
        handle.write(data)
        handle.flush()
        try:
            archive = group(read_messages(handle.name), handle.name)
            for series in archive.series:
                catalogue.run(series, trials=Trials.bounded(budget=0))
        except ToolkitError:
            return "refused"
    return "read"


def fixtures() -> list[bytes]:
    paths = sorted({*ROOT.glob("tests/data/**/*.mbox"), *ROOT.glob("tests/data/**/*.eml"),
                    *ROOT.glob("tests/data/**/*.patch"), *ROOT.glob("patches/*.mbox")})
    found = [path.read_bytes() for path in paths if path.stat().st_size < 1 << 20]
    assert found, "no fixtures found"
    return found


def mutate(data: bytes, pool: list[bytes], chance: random.Random) -> bytes:
    """`data` with one to four mutations."""
    out = bytearray(data)
    for _ in range(chance.randint(1, 4)):
        at = chance.randint(0, len(out))
        kind = chance.randrange(6)
        if kind == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << chance.randrange(8)
        elif kind == 1:
            out[at:at] = bytes(chance.randrange(256) for _ in range(chance.randint(1, 8)))
        elif kind == 2:
            del out[at:at + chance.randint(1, 200)]
        elif kind == 3:
            piece = bytes(out[at:at + chance.randint(1, 80)])
            out[at:at] = piece * chance.choice([2, 10, 1000, 20000])
        elif kind == 4:
            other = chance.choice(pool)
            start = chance.randint(0, len(other))
            out[at:at] = other[start:start + chance.randint(1, 2000)]
        else:
            out[at:at] = chance.choice(HOSTILE) * chance.choice([1, 1, 3, 500])
    return bytes(out)


def _keep(data: bytes, why: str) -> Path:
    CRASHES.mkdir(exist_ok=True)
    path = CRASHES / f"{hashlib.sha256(data).hexdigest()[:16]}.mbox"
    path.write_bytes(data)
    print(f"  {why}: {path.relative_to(ROOT)}", flush=True)
    return path


def mutation_runs(runs: int, seed: int) -> int:
    os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="fuzz-cache-"))
    pool = fixtures()
    chance = random.Random(seed)
    counts = {"read": 0, "refused": 0, "crash": 0, "hang": 0}
    slowest, started = (0.0, b""), time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    for _ in range(runs):
        data = mutate(chance.choice(pool), pool, chance)
        began = time.perf_counter()
        signal.alarm(SECONDS)
        try:
            counts[target(data)] += 1
        except Hang:
            counts["hang"] += 1
            _keep(data, "more than 10 s")
        except Exception as error:      # every other exception is a defect to keep
            counts["crash"] += 1
            _keep(data, f"{type(error).__name__}: {str(error)[:80]}")
        finally:
            signal.alarm(0)
        took = time.perf_counter() - began
        if took > SECONDS / 2:
            _keep(data, f"slow, {took:.1f} s")     # within the bound, but worth a look
        slowest = max(slowest, (took, data))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{runs} runs, seed {seed}, {time.perf_counter() - started:.1f} s: "
          f"{counts['read']} read, {counts['refused']} refused with an input error, "
          f"{counts['crash']} crashes, {counts['hang']} hangs; slowest run {slowest[0]:.2f} s "
          f"({len(slowest[1]):,} bytes); peak memory {peak >> 20} MiB"
          f"{' (over 256 MiB)' if peak > MEMORY else ''}")
    return 1 if counts["crash"] or counts["hang"] or peak > MEMORY else 0


def atheris_runs(argv: list[str]) -> int:
    try:
        import atheris
    except ImportError:
        print("atheris is not installed (pip install '.[fuzz]'); run without --atheris for the "
              "mutation loop", file=sys.stderr)
        return 2
    with atheris.instrument_imports():
        import toolkit.checks.catalogue  # noqa: F401 - instrumented for coverage
        import toolkit.mail.mbox  # noqa: F401
        import toolkit.series.assemble  # noqa: F401
    os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="fuzz-cache-"))
    corpus = Path(tempfile.mkdtemp(prefix="fuzz-corpus-"))
    for k, data in enumerate(fixtures()):
        (corpus / f"{k}.mbox").write_bytes(data)

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup([sys.argv[0], f"-rss_limit_mb={MEMORY >> 20}", f"-timeout={SECONDS}",
                   f"-artifact_prefix={CRASHES}/", *argv, str(corpus)], one_input)
    CRASHES.mkdir(exist_ok=True)
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--atheris", action="store_true",
                        help="coverage-guided with atheris; other arguments go to libFuzzer")
    args, rest = parser.parse_known_args()
    sys.path.insert(0, str(ROOT))
    if args.atheris:
        return atheris_runs(rest)
    return mutation_runs(args.runs, args.seed)


if __name__ == "__main__":
    sys.exit(main())
