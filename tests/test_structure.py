"""The house rules of the package, read from its source: stages, no import cycles, one importer per dependency."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "toolkit"
MAX_LINES = 600

# What each stage folder or shared module may import besides itself (the arrows of the house):
# mail -> series -> states -> checks -> report; checks -> validate -> {codegen, emulate, cmodel}.
# The leaves (cmodel, codegen, emulate) and the shared modules import only shared modules.
SHARED = {"errors", "cache", "x86", "lazy", "gapblock", "entryblocks", "__init__"}
ALLOWED = {
    "__init__": set(), "errors": set(), "lazy": set(), "x86": {"errors"}, "cache": set(), "gapblock": set(),
    "entryblocks": set(),
    "gitrepo": {"errors", "lazy"},
    "cmodel": SHARED, "codegen": SHARED, "emulate": SHARED,
    "mail": SHARED,
    "series": SHARED | {"mail"},
    "states": SHARED | {"mail", "series", "cmodel", "codegen", "gitrepo"},
    "checks": SHARED | {"mail", "series", "states", "validate", "cmodel", "gitrepo"},
    "validate": SHARED | {"cmodel", "codegen", "emulate"},
    "report": SHARED | {"mail", "series", "checks", "validate"},
    # checking an archive in worker processes: grouping, the checks, their results
    "archive": SHARED | {"mail", "series", "states", "checks", "report"},
    "cli": None, "__main__": None,     # the command line may use everything
}
# Only states/reference.py renders the reference code; the rest of states does not generate.
ONLY_FROM = {"codegen": {"states": {"toolkit.states.reference"}}}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _own_targets(node: ast.AST, importer: str) -> list[str]:
    """The toolkit modules an import statement reads in (a name imported from a package is the
    submodule when there is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "toolkit"]
    if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
        return []
    if node.module.split(".")[0] != "toolkit":
        return []
    return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
            for a in node.names]


def _lazily_bound(node: ast.AST) -> str | None:
    """The module of `name = lazy.module("...")`, a binding that loads on first use."""
    if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "module"
            and getattr(node.func.value, "id", None) == "lazy" and node.args
            and isinstance(node.args[0], ast.Constant)):
        return node.args[0].value
    return None


def _third_party(node: ast.AST) -> list[str]:
    names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
        [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else []
    tops = {name.split(".")[0] for name in names}
    return sorted(t for t in tops if t != "toolkit" and t not in sys.stdlib_module_names
                  and t != "__future__")


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


TREES = _trees()


def _graph() -> dict[str, set[str]]:
    """Module-level imports between toolkit modules, lazy bindings included (imports inside
    functions are judged apart)."""
    graph = {}
    for name, tree in TREES.items():
        targets = {t for node in tree.body for t in _own_targets(node, name)}
        targets |= {bound for node in tree.body if isinstance(node, ast.Assign)
                    and (bound := _lazily_bound(node.value)) and bound.startswith("toolkit.")}
        graph[name] = targets - {name}
    return graph


def _stage(module: str) -> str:
    """The stage folder or shared module a module belongs to (`toolkit` itself: `__init__`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_package_is_read_whole():
    assert len(MODULES) > 40 and "toolkit.checks.catalogue" in MODULES


def test_no_import_cycles():
    graph = _graph()
    done, on_path, cycles = set(), [], []

    def visit(module: str) -> None:
        if module in on_path:
            cycles.append(on_path[on_path.index(module):] + [module])
            return
        if module in done:
            return
        on_path.append(module)
        for target in sorted(graph.get(module, ())):
            visit(target)
        on_path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_own_modules_are_imported_at_the_top_outside_the_cli():
    inside = []
    for name, tree in TREES.items():
        if _stage(name) == "cli":
            continue
        # imports for type annotations only (`if TYPE_CHECKING:`) never run: they count as top
        typing_only = [n for node in tree.body if isinstance(node, ast.If)
                       and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                       for n in node.body]
        top = set(map(id, [*tree.body, *typing_only]))
        for node in ast.walk(tree):
            if id(node) not in top and _own_targets(node, name):
                inside.append(f"{MODULES[name].relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not inside, "imports of toolkit modules inside functions: " + ", ".join(inside)


def test_each_third_party_package_is_imported_by_one_module():
    importers: dict[str, set[str]] = {}
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            for package in _third_party(node):
                importers.setdefault(package, set()).add(name)
    # lazy.module("unicorn") binds a package by name: that counts as importing it
    for name, tree in TREES.items():
        for node in ast.walk(tree):
            bound = _lazily_bound(node)
            if bound and not bound.startswith("toolkit."):
                importers.setdefault(bound, set()).add(name)
    assert {"pycparser", "unidiff", "unicorn", "git"} <= set(importers)
    shared = {package: sorted(names) for package, names in importers.items() if len(names) > 1}
    assert not shared, f"third-party packages imported by more than one module: {shared}"


def test_stages_import_only_what_comes_before_them():
    wrong = []
    for module, targets in _graph().items():
        allowed = ALLOWED[_stage(module)]
        for target in targets:
            stage = _stage(target)
            if stage == _stage(module) or allowed is None:
                continue
            if stage not in allowed:
                wrong.append(f"{module} -> {target}")
            elif module not in ONLY_FROM.get(stage, {}).get(_stage(module), {module}):
                wrong.append(f"{module} -> {target} (only {ONLY_FROM[stage][_stage(module)]})")
    assert not wrong, "imports against the flow: " + ", ".join(sorted(wrong))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_short_and_says_what_it_is_for(module):
    path = MODULES[module]
    text = path.read_text()
    assert text.count("\n") <= MAX_LINES, f"{path.name} has {text.count(chr(10))} lines"
    if path.stat().st_size:
        assert ast.get_docstring(TREES[module]), f"{path} opens with no purpose sentence"


def test_every_folder_of_the_package_is_named_in_pyproject():
    # setuptools warns of a folder below a package that the packages list does not name (and
    # pip install and make demo must print no packaging warnings)
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    folders = {".".join(path.relative_to(PACKAGE.parent).parts)
               for path in [PACKAGE, *PACKAGE.rglob("*")]
               if path.is_dir() and path.name != "__pycache__"}
    assert folders - listed == set()
