"""Third-party packages bound as modules that load themselves when first used.

A warm `toolkit check` takes a fifth of a second; importing unicorn, GitPython or jinja2 would each
add a fifth of that, for runs that never touch them (trials that passed before, no --tree, reference
code already rendered). The one module that wraps such a package binds it through `module()`.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """The top-level package `name`, executed when one of its attributes is first read."""
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
