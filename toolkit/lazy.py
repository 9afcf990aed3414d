"""Modules bound so that they load themselves when first used: slow packages, and the cold paths.

A warm `toolkit check` takes a fifth of a second; importing unicorn, GitPython or jinja2 would each
add a fifth of that, and so would the toolkit's own builder and emulator, for runs that never
touch them (trials that passed before, no --tree, reference code already rendered). The module
that needs one binds it at its top through `module()`, which counts as an import there (the
structure test reads it as one), and it is loaded on the first attribute read.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """The module `name`, executed when one of its attributes is first read (its parent packages
    are imported now)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    loader.exec_module(found)
    return found
