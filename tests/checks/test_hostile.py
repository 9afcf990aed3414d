"""Hostile code in a patch: each row of tests/data/hostile/*.toml ends in its finding, quickly, and nothing else is lost."""

import time
import tomllib
from pathlib import Path

import pytest

from toolkit.checks import catalogue, trial
from toolkit.emulate import build
from toolkit.emulate.limits import Limits
from toolkit.mail import read_messages
from toolkit.series.assemble import group

DATA = Path(__file__).parents[1] / "data" / "hostile"
SERIES = (DATA / "series.mbox").read_text()
ROWS = [pytest.param(row, id=row["name"]) for table in sorted(DATA.glob("*.toml"))
        for row in tomllib.loads(table.read_text())["row"]]
assert ROWS, "no rows found: a table that is empty would pass vacuously"

# Small limits keep the table fast: a bomb costs 2 s of CPU, not 10. Honest code needs a tenth.
LIMITS = Limits(cpu=2, wall=5)
SECONDS = 15
# What the unedited series gets: the hostile edits must not cost any of it.
TEXT_RULES = {("TYPO_SPELLING", 2), ("COMMIT_LOG_OTHER_PATCH", 2)}


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def bounded(cache_home, monkeypatch):
    """Trials within LIMITS, in a cache of the table's own, with nothing remembered in memory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.setattr(build, "_FAILED", {})
    return lambda budget=60: trial.Trials.bounded(LIMITS, budget)


def _edited(row) -> str:
    text = SERIES
    for old, new in row["edit"]:
        assert text.count(old) == 1, f"{row['name']}: the text to replace occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def _check(path: Path, trials):
    return [f for series in group(read_messages(str(path)), str(path)).series
            for f in catalogue.run(series, trials=trials)]


@pytest.mark.parametrize("row", ROWS)
def test_hostile_code_ends_in_its_finding(row, bounded, tmp_path):
    path = tmp_path / f"{row['name']}.mbox"
    path.write_text(_edited(row))
    trials = bounded()
    started = time.monotonic()
    found = _check(path, trials)
    took = time.monotonic() - started
    seen = {(f.rule, f.patch.index, str(f.level)) for f in found if f.patch}
    assert (row["finding"], row["patch"], row.get("level", "error" if row["finding"] != "BUILD_LIMIT"
                                                  else "warning")) in seen
    assert TEXT_RULES <= {(rule, patch) for rule, patch, _ in seen}
    assert took < SECONDS, f"{row['name']} took {took:.1f} s"


def test_the_cache_stays_small_after_the_table(cache_home):
    # run after the rows (pytest keeps the order of a module's tests): none of the giants is kept
    size = sum(p.stat().st_size for p in cache_home.rglob("*") if p.is_file())
    assert size < 1 << 20


def test_a_limit_hit_is_not_paid_for_again_by_a_second_check(bounded, tmp_path, monkeypatch):
    row = next(p.values[0] for p in ROWS if p.values[0]["name"] == "rept")
    path = tmp_path / "rept.mbox"
    path.write_text(_edited(row))
    _check(path, bounded())            # pays the 2 s of CPU, or found it in the cache already
    monkeypatch.setattr(build, "_FAILED", {})
    started = time.monotonic()
    found = _check(path, bounded())    # nothing remembered in memory: the cache has it
    assert ("BUILD_LIMIT", 1) in {(f.rule, f.patch.index) for f in found if f.patch}
    assert time.monotonic() - started < 1


def test_when_the_budget_runs_out_emulation_is_noted_and_the_rest_reported(bounded, tmp_path,
                                                                           monkeypatch):
    demo = Path(__file__).parents[2] / "patches" / "int3-call-emulation-v1.mbox"
    # a cache of its own: a state an earlier test saw pass costs nothing, and is not noted
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    found = _check(demo, bounded(budget=0))
    notes = {(f.rule, f.patch.index) for f in found if f.evidence.get("unchecked")
             and "not checked: budget" in f.message and str(f.level) == "note"}
    assert notes == {("ENTRY_FRAME_CORRUPTED", 1), ("EMULATION_MISMATCH", 2),
                     ("BISECT_BREAKS", 3)}
    assert {"TYPO_SPELLING", "STACK_GAP_UNDOCUMENTED"} <= {f.rule for f in found}
