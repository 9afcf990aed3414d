"""The cache: one digest of the package names what is kept, and writes are atomic."""

from toolkit import cache


def test_an_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "kept" / "entry.json"
    assert cache.write_atomic(target, b"[1]")
    assert target.read_bytes() == b"[1]" and [p.name for p in target.parent.iterdir()] == ["entry.json"]


def test_the_package_digest_covers_code_tables_and_templates():
    files = cache.package_files()
    assert {"cache.py", "checks/trial.toml", "validate/handlers/scenario.c",
            "codegen/templates/entry_64.S.j2"} <= set(files)
    assert len(cache.package_digest()) == 64


def test_an_unwritable_cache_costs_time_not_correctness(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert not cache.write_atomic(blocker / "toolkit" / "x.json", b"{}")
