"""The cache: one digest of the package names what is kept, writes are atomic, memos are read back."""

from toolkit import cache


def test_a_memo_is_made_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    made = []

    def make():
        made.append(1)
        return {"words": ["gap", "push"]}

    assert cache.memo_json("example", make) == {"words": ["gap", "push"]}
    assert cache.memo_json("example", make) == {"words": ["gap", "push"]}
    assert len(made) == 1
    kept = list((tmp_path / "toolkit" / "memo").glob("example-*.json"))
    assert len(kept) == 1 and cache.package_digest()[:32] in kept[0].name


def test_an_unwritable_cache_costs_time_not_correctness(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert cache.memo_json("example", lambda: [1, 2]) == [1, 2]
    assert not cache.write_atomic(blocker / "toolkit" / "x.json", b"{}")


def test_an_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "kept" / "entry.json"
    assert cache.write_atomic(target, b"[1]")
    assert target.read_bytes() == b"[1]" and [p.name for p in target.parent.iterdir()] == ["entry.json"]


def test_the_package_digest_covers_code_tables_and_templates():
    files = cache.package_files()
    assert {"cache.py", "checks/trial.toml", "validate/handlers/scenario.c",
            "codegen/templates/entry_64.S.j2"} <= set(files)
    assert len(cache.package_digest()) == 64
