"""Patching sequences run through a tree's own int3 batch and handler, with a second CPU looking on.

A table (`tables/patching.toml`) lists sequences of calls to the batch; each runs once in the
emulator through the tree's code (`toolkit.validate.alternative`), and the driver reports the
first thing that went wrong: a trap the handler did not claim, a torn instruction, an emulation
that is not the new instruction, a BUG, or a wait that cannot end. An outcome names the step
(each write and sync is one), the site and the bytes, with a picture of the site over the steps.
"""

from __future__ import annotations

import struct
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from toolkit.cmodel import header as cheader
from toolkit.emulate.build import Image
from toolkit.emulate.machine import Machine, Probe
from toolkit.emulate.memorymap import LAYOUTS, STACK_SIZE
from toolkit.errors import InputError
from toolkit.validate import alternative, pictures
from toolkit.validate.scenarios import Status
from toolkit.x86 import TEXT_PATCHING_H

# As handlers/patching_driver.h lays them out.
MAX_SITES, MAX_OPS, MAX_LOG, INSN = 320, 400, 2048, 8
CALLS = {"queue": 1, "finish": 2, "single": 3}
_RESULT = struct.Struct("<8I7Q8s48s")
_LOG = struct.Struct("<III8sI")
_WHAT = {1: "a trap the handler does not claim", 2: "a torn instruction (no trap, neither the "
         "old nor the new one whole)", 3: "BUG", 4: "a wait that cannot end",
         5: "emulated as another instruction", 6: "the site does not hold the new instruction "
         "at the end", 7: "the boot-time path taken on a running system"}
# Instructions a sequence may take: a base, and for each site as many again as every call and
# every other site may cost it (a batch flushed at every call, each site seen at every sync).
# Code that loops forever (it may come from a mail) costs the smallest sequence's bound.
BASE_LIMIT, SITE_LIMIT = 1_000_000, 1_000


def limit(sequence: "Sequence") -> int:
    sites = len(sequence.sites)
    return BASE_LIMIT + SITE_LIMIT * sites * (sites + len(sequence.calls))
_SITE_KEYS = {"prefix", "count", "first", "stride", "old", "new"}


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    offset: int
    old: bytes
    new: bytes


@dataclass(frozen=True, slots=True)
class Sequence:
    """One row: its sites, its calls ((kind, site index); finish has -1) and where it is written."""

    name: str
    what: str
    sites: tuple[Site, ...]
    calls: tuple[tuple[str, int], ...]
    where: str
    needs: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a sequence went: `step` is the 1-based write or sync during which it failed (0: before
    any), `site` the site's name, `picture` the site's bytes over the steps as text."""

    sequence: Sequence
    status: Status
    reason: str = ""
    step: int = 0
    site: str = ""
    picture: str = ""
    evidence: dict = field(default_factory=dict)


def table_path() -> Path:
    return Path(str(resources.files("toolkit.validate") / "tables" / "patching" / "sequences.toml"))


def load(path: Path | None = None) -> list[Sequence]:
    """The sequences of a patching table; a malformed row is an InputError naming it."""
    path = path or table_path()
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InputError("cannot read the patching table", path=str(path), why=str(error)) from None
    insns = {name: _hex(text, path, name) for name, text in data.get("insn", {}).items()}
    return [_sequence(row, insns, f"{path}: sequence {n}")
            for n, row in enumerate(data.get("sequence", []), 1)]


def _hex(text: str, path: Path, name: str) -> bytes:
    try:
        found = bytes.fromhex(text)
    except (TypeError, ValueError):
        raise InputError(f"instruction {name!r} is not hex bytes", path=str(path)) from None
    if not 0 < len(found) <= INSN - 2:
        raise InputError(f"instruction {name!r} has {len(found)} bytes (1 to 6)", path=str(path))
    return found


def _sequence(row: dict, insns: dict[str, bytes], where: str) -> Sequence:
    def insn(name: str) -> bytes:
        if name not in insns:
            raise InputError(f"{where}: no instruction {name!r} in [insn]")
        return insns[name]

    raw = row.get("sites")
    if isinstance(raw, dict):
        if set(raw) != _SITE_KEYS:
            raise InputError(f"{where}: a repeated site needs {', '.join(sorted(_SITE_KEYS))}")
        sites = [Site(f"{raw['prefix']}{n}", raw["first"] + n * raw["stride"], insn(raw["old"]),
                      insn(raw["new"])) for n in range(raw["count"])]
    elif isinstance(raw, list) and all(isinstance(s, list) and len(s) == 4 for s in raw):
        sites = [Site(name, offset, insn(old), insn(new)) for name, offset, old, new in raw]
    else:
        raise InputError(f"{where}: sites must be [name, offset, old, new] lists or a repeat")
    if not 0 < len(sites) <= MAX_SITES:
        raise InputError(f"{where}: {len(sites)} sites (at most {MAX_SITES})")
    for site in sites:
        if len(site.old) != len(site.new):
            raise InputError(f"{where}: site {site.name} changes length "
                             f"({len(site.old)} to {len(site.new)} bytes)")
    index = {site.name: n for n, site in enumerate(sites)}
    calls: list[tuple[str, int]] = []
    for text in row.get("calls", []):
        kind, _, target = text.partition(" ")
        if kind not in CALLS or (kind == "finish") != (not target):
            raise InputError(f"{where}: call {text!r} is not 'single S', 'queue S' or 'finish'")
        if target.endswith("*"):
            calls += [(kind, n) for n, s in enumerate(sites) if s.name.startswith(target[:-1])]
        elif kind == "finish":
            calls.append((kind, -1))
        elif target in index:
            calls.append((kind, index[target]))
        else:
            raise InputError(f"{where}: call {text!r} names no site")
    if len(calls) > MAX_OPS:
        raise InputError(f"{where}: {len(calls)} calls (at most {MAX_OPS})")
    return Sequence(row.get("name", where), row.get("what", ""), tuple(sites), tuple(calls),
                    where, row.get("needs", ""))


def skip_reason(sequence: Sequence, batch: alternative.Batch) -> str | None:
    if any(kind != "single" for kind, _ in sequence.calls) and not batch.has("queue"):
        return f"the tree's batch is of the {batch.era} era: there is no queue"
    if sequence.needs == "jcc32" and "is_jcc32" not in batch.text:
        return "the tree's batch does not patch a six-byte Jcc"
    if batch.has("handler") and batch.resumes and not all(
            _nop(s.old) or _nop(s.new) for s in sequence.sites):
        return ("a trap resumes past the site in the tree's single poke (2019): only a patch "
                "from or to a nop means the same")
    return None


def _nop(insn: bytes) -> bool:
    return insn[:1] == b"\x90" or insn[:2] in (b"\x66\x90", b"\x0f\x1f") or insn[:3] == b"\x66\x0f\x1f"


class Runner:
    """One built batch in one emulator, ready to run sequences."""

    def __init__(self, image: Image) -> None:
        layout = LAYOUTS["x86_64"]
        self.machine = Machine(image, entry="toolkit_patching_main",
                               handler="toolkit_patching_main", limit=BASE_LIMIT)
        self.start = image.symbol("toolkit_patching_main")
        self.plan = image.symbol("toolkit_plan")
        self.result = image.symbol("toolkit_result")
        self.landing = layout.sites + 16
        self.stack = layout.stack + STACK_SIZE - 72

    def run(self, sequence: Sequence) -> Outcome:
        sites = b"".join(struct.pack("<II", s.offset, len(s.new)) + s.old.ljust(INSN, b"\0")
                         + s.new.ljust(INSN, b"\0") for s in sequence.sites)
        ops = b"".join(struct.pack("<II", CALLS[kind], max(site, 0))
                       for kind, site in sequence.calls)
        plan = (struct.pack("<QII", self.landing, len(sequence.sites), len(sequence.calls))
                + sites.ljust(24 * MAX_SITES, b"\0") + ops)
        window = (self.result, self.result + _RESULT.size + _LOG.size * MAX_LOG)
        self.machine.limit = limit(sequence)
        run = self.machine.run(Probe(self.start, (("rsp", self.stack),),
                                     ((self.plan, plan),), window))
        data = run.memory(*window[:1], window[1] - window[0])
        return judge(sequence, run, data)


def judge(sequence: Sequence, run, data: bytes) -> Outcome:
    """The outcome of one run from the driver's result (`data`, toolkit_result's bytes)."""
    (status, what, site, op, line, nr_log, _warnings, claimed, flags, got_ip, want_ip, got_sp,
     want_sp, got_word, want_word, view, text) = _RESULT.unpack_from(data)
    log = [_LOG.unpack_from(data, _RESULT.size + n * _LOG.size)[:4]
           for n in range(min(nr_log, MAX_LOG))]
    if run.stop != "halt" or status == 0:
        return Outcome(sequence, Status.ERROR, f"the run stopped by {run.stop} at "
                       f"{run.stopped_at:#x} ({run.detail}) after {nr_log} steps", nr_log)
    if status == 1:
        return Outcome(sequence, Status.PASSED, step=nr_log)
    name = sequence.sites[site].name if site < len(sequence.sites) else ""
    call = (f"during {sequence.calls[op][0]} {_site_name(sequence, op)}" if op < len(sequence.calls)
            else "after the last call")
    width = len(sequence.sites[site].new) if name else INSN
    shown = view[:width].hex(" ")
    detail = text.split(b"\0")[0].decode(errors="replace")
    reason = f"{_WHAT.get(what, 'unknown')} at step {nr_log} ({_step(sequence, log, nr_log)})"
    if name:
        reason += f", site {name} reads {shown}"
    if what == 5:
        reason += (f": ip {got_ip:#x}, wanted {want_ip:#x}; sp {got_sp:#x}, wanted {want_sp:#x}"
                   + (f"; pushed {got_word:#x}, wanted {want_word:#x}" if want_word or got_word
                      else "") + f" (flags {flags:#x})")
    elif what in (3, 4):
        reason += f": {detail}" + (f" (alternative.c:{line})" if line and what == 3 else "")
    reason += f", {call}"
    picture = site_picture(sequence, site, log) if name else ""
    drawn = pictures.site_svg(site_rows(sequence, site, log), sequence.sites[site].old,
                              sequence.sites[site].new, f"{sequence.name}: {reason}") if name else ""
    return Outcome(sequence, Status.FAILED, reason, nr_log, name, picture,
                   {"sequence": sequence.name, "step": nr_log, "site": name, "bytes": shown,
                    "steps": [_step(sequence, log, n) for n in range(1, len(log) + 1)],
                    "picture": picture, "picture_svg": drawn, "handler_calls": claimed})


def _site_name(sequence: Sequence, op: int) -> str:
    kind, site = sequence.calls[op]
    return sequence.sites[site].name if kind != "finish" else ""


def _step(sequence: Sequence, log, n: int) -> str:
    if not 0 < n <= len(log):
        return "before any write"
    kind, offset, length, data = log[n - 1]
    if kind == 2:
        return "sync"
    site = next((s for s in sequence.sites if s.offset <= offset < s.offset + len(s.new)), None)
    where = f"{site.name}+{offset - site.offset}" if site else f"_stext+{offset:#x}"
    return f"write {data[:min(length, INSN)].hex(' ')} at {where}"


def site_rows(sequence: Sequence, index: int, log) -> list[dict]:
    """The site's bytes before the calls, after each step that wrote it and at each sync: the
    bytes now, the bytes as of the last sync (what another CPU may still fetch) and the step."""
    site = sequence.sites[index]
    now, seen = bytearray(site.old), bytearray(site.old)
    rows = [{"step": 0, "now": bytes(now), "seen": bytes(seen), "what": "before"}]
    for n, (kind, offset, length, data) in enumerate(log, 1):
        if kind == 2:
            seen[:] = now
        else:
            touched = False
            for k in range(min(length, INSN)):
                at = offset + k - site.offset
                if 0 <= at < len(now):
                    now[at], touched = data[k], True
            if not touched:
                continue
        rows.append({"step": n, "now": bytes(now), "seen": bytes(seen),
                     "what": _step(sequence, log, n)})
    return rows


def site_picture(sequence: Sequence, index: int, log) -> str:
    """site_rows() as text, the last step marked."""
    site = sequence.sites[index]
    rows = site_rows(sequence, index, log)
    lines = [f"site {site.name} (_stext+{site.offset:#x}): {site.old.hex(' ')} -> "
             f"{site.new.hex(' ')}", f"{'step':>5}  {'bytes now':<18}  {'after the last sync':<18}"]
    for row in rows:
        mark = "  <-- here" if row["step"] == len(log) and row["step"] else ""
        lines.append(f"{row['step']:>5}  {row['now'].hex(' '):<18}  {row['seen'].hex(' '):<18}  "
                     f"{row['what']}{mark}")
    return "\n".join(lines) + "\n"


def run_sequences(runner_of, batch: alternative.Batch,
                  sequences: list[Sequence]) -> list[Outcome]:
    """Every sequence on the batch (`runner_of()` builds it on the first one that runs)."""
    outcomes, runner, endless = [], None, None
    for sequence in sequences:
        reason = skip_reason(sequence, batch)
        if reason:
            outcomes.append(Outcome(sequence, Status.SKIPPED, reason))
        elif endless:
            # code that did not end once would cost every sequence its whole bound again
            outcomes.append(Outcome(sequence, Status.ERROR, f"not run: {endless}"))
        else:
            runner = runner or runner_of()
            outcomes.append(runner.run(sequence))
            if outcomes[-1].status is Status.ERROR and outcomes[-1].reason.startswith(
                    "the run stopped by limit"):
                endless = f"{sequence.name} did not end within {limit(sequence):,} instructions"
    return outcomes


def run_texts(alternative_c: str, header: cheader.HeaderModel, prelude: str, *,
              origin: str = alternative.ALTERNATIVE_C, table: Path | None = None,
              **build) -> list[Outcome]:
    """The patching table on the int3 batch of `alternative_c` with the helpers of `header`."""
    batch = alternative.find_batch(alternative_c, origin)
    return run_sequences(
        lambda: Runner(alternative.build_batch(batch, header, prelude, origin=origin, **build)),
        batch, load(table))


def run_tree(tree: Path, prelude: str, *, table: Path | None = None, **build) -> list[Outcome]:
    """The patching table on a kernel tree's own alternative.c and text-patching.h; NoBatch
    when the tree has no int3 batch there."""
    path = tree / alternative.ALTERNATIVE_C
    if not path.is_file():
        raise alternative.NoBatch(f"the tree has no {alternative.ALTERNATIVE_C}")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError("cannot read the file", path=str(path), why=str(error)) from None
    header = cheader.read_header(str(tree / TEXT_PATCHING_H))
    return run_texts(text, header, prelude, origin=str(path), table=table, **build)
