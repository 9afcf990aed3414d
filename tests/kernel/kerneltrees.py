"""Which unpacked kernel trees the integration tests run on, as pytest parameters."""

import os
import shutil
from pathlib import Path

import pytest

from toolkit import entryblocks
from toolkit.x86 import ENTRY_32

ROOT = Path(__file__).resolve().parents[2]


def _trees() -> list[Path]:
    if os.environ.get("TOOLKIT_KERNEL_TREES"):
        return [Path(p) for p in os.environ["TOOLKIT_KERNEL_TREES"].split(":") if p]
    return sorted((ROOT / ".kernels").glob("linux-source-*"))


# With no tree there is still one parameter, so that each test reports why it did not run.
TREES = _trees() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no kernel tree: run `make kernel-trees` or set TOOLKIT_KERNEL_TREES"))]


def _patching_trees() -> list[Path]:
    """The trees above and the era trees of `make kernel-eras` (alternative.c and
    text-patching.h of a release the package archive does not carry)."""
    found = [t for t in _trees() if (t / "arch/x86/kernel/alternative.c").exists()]
    named = {t.resolve() for t in found}
    eras = sorted((ROOT / ".kernels").glob("era-*"))
    return found + [t for t in eras if t.resolve() not in named]


PATCHING_TREES = _patching_trees() or [pytest.param(None, marks=pytest.mark.skip(
    reason="no tree with alternative.c: run `make kernel-trees` and `make kernel-eras`"))]


def tree_id(tree: Path | None) -> str:
    return tree.name if tree else "none"


def entry_copy(tree: Path, into: Path) -> Path:
    """A tree under `into` that shares everything with `tree` but arch/x86/entry, which is copied
    there to be edited."""
    copy = into / "linux"
    (copy / "arch/x86").mkdir(parents=True)
    for top in tree.iterdir():
        if top.name != "arch":
            (copy / top.name).symlink_to(top.resolve())
    for part in (tree / "arch/x86").iterdir():
        if part.name != "entry":
            (copy / "arch/x86" / part.name).symlink_to(part.resolve())
    shutil.copytree(tree / "arch/x86/entry", copy / "arch/x86/entry")
    return copy


def apply_mutant(copy: Path, mutant: dict) -> None:
    """Make a mutant's edits (tests/data/mutants/kernel/*.toml) to its file under `copy`; each
    text to replace must be there exactly once."""
    path = copy / mutant["file"]
    text = path.read_text()
    for edit in mutant["edit"]:
        assert text.count(edit["old"]) == 1, f"{edit['old']!r} is not in {mutant['file']} once"
        text = text.replace(edit["old"], edit["new"])
    path.write_text(text)


def other_era(tree: Path, mutant: dict) -> str | None:
    """Why an x86_32 mutant does not fit `tree`, or None: its text is written for a FIXUP_FRAME
    that sees `fixup_words` words (six with %fs pushed before it, five in v5.3 and v5.4.0), and the
    tree's SAVE_ALL says which one the tree has."""
    if mutant["arch"] != "x86_32" or not (tree / ENTRY_32).exists():
        return None
    lines = (tree / ENTRY_32).read_text().splitlines(keepends=True)
    words = 6 if entryblocks.fs_before_fixup(lines) else 5
    if words == mutant["fixup_words"]:
        return None
    return f"{tree.name}: FIXUP_FRAME sees {words} words, the mutant is for {mutant['fixup_words']}"
