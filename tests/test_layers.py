"""The layers of docs/architecture.md, checked on the import graph.

Data flows one way: instrument YAML -> Instrument -> plan -> backend -> store -> tidy DataFrame ->
statistics -> report. Each top-level part of the package may import only the parts listed for it
below (every ``import`` statement counts, also those inside functions). ``psychometry.stats`` imports
nothing but the error class, so it works on human data; a backend knows only the backend interface;
SQL lives in the store, which the CLI reaches only through the Python API.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

import pytest

import psychometry

ROOT = Path(psychometry.__file__).parent

ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "errors": set(),
    "resources": {"errors"},
    "instrument": {"errors", "resources"},
    "orders": {"errors"},
    "templates": {"errors", "resources", "instrument", "orders"},
    "personas": {"errors", "resources", "instrument"},
    "plan": {"errors", "instrument", "orders", "templates", "personas"},
    "backends": {"errors"},
    "answers": {"errors", "instrument"},
    "store": {"errors"},
    "results": {"errors", "instrument", "store", "scoring", "stats"},
    "stats": {"errors"},
    "scoring": {"errors", "instrument", "stats"},
    "report": {"errors", "instrument", "results", "scoring", "stats"},
    "config": {"errors", "instrument", "orders", "templates", "personas", "backends"},
    "manifest": {"_version", "instrument", "orders", "personas", "plan", "backends", "store", "config"},
    "engine": {
        "errors", "resources", "instrument", "orders", "templates", "personas", "plan", "backends",
        "answers", "store", "results", "scoring", "config", "manifest",
    },
    "doctor": {"_version", "errors", "backends", "config"},
    # bridges to other tools (inspect_ai, lm-eval): the Python API and the store, never the CLI
    "integrations": {
        "_version", "errors", "resources", "instrument", "orders", "templates", "personas", "plan", "backends",
        "answers", "store", "results", "scoring", "stats", "report", "config", "manifest", "engine", "doctor",
    },
    "cli": {
        "_version", "errors", "resources", "instrument", "orders", "backends", "engine", "results", "report",
        "doctor", "scoring", "stats", "config", "integrations",
    },
}  # fmt: skip


#: the lazy public names of ``psychometry`` (its ``__getattr__``) and the part each comes from
PUBLIC = {
    "load_instrument": "instrument",
    "list_instruments": "instrument",
    "score": "scoring",
    "load_results": "results",
    "Design": "config",
    "ModelConfig": "config",
    "AnswerConfig": "config",
    "administer": "engine",
}


def _part(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return rel.parts[0] if rel.parts[0] not in ("__init__", "__main__") else "psychometry"


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """Top-level part of psychometry -> the parts its modules import (absolute and relative imports)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for f in ROOT.rglob("*.py"):
        package = list(f.relative_to(ROOT.parent).with_suffix("").parts)[:-1]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package[: len(package) - (node.level - 1)])
                    names = (
                        [f"{base}.{node.module}"] if node.module else [f"{base}.{a.name}" for a in node.names]
                    )
                else:
                    names = [str(node.module)] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] != "psychometry" or len(bits) < 2:
                    continue
                if (ROOT / bits[1]).exists() or (ROOT / f"{bits[1]}.py").exists():
                    graph[_part(f)].add(bits[1])
                elif bits[1] in PUBLIC:  # from psychometry import administer: the part behind it
                    graph[_part(f)].add(PUBLIC[bits[1]])
    return {k: v - {k} for k, v in graph.items()}


def test_every_part_of_the_package_has_a_place_in_the_layers():
    parts = {_part(f) for f in ROOT.rglob("*.py")} - {"psychometry", "_instruments"}
    assert parts <= set(ALLOWED), f"add {sorted(parts - set(ALLOWED))} to ALLOWED and docs/architecture.md"


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_layers_below_it(part):
    imported = import_graph().get(part, set())
    assert imported <= ALLOWED[part], f"psychometry.{part} imports {sorted(imported - ALLOWED[part])}"


def test_every_public_name_of_the_package_is_mapped_to_its_part():
    assert set(psychometry.__all__) - {"__version__"} == set(PUBLIC)
    for name, part in PUBLIC.items():
        assert getattr(psychometry, name).__module__.split(".")[1] == part, name


def test_the_graph_sees_relative_and_function_level_imports():
    graph = import_graph()
    assert "store" in graph["results"]  # from .store import Store
    assert "engine" in graph["psychometry"]  # inside psychometry.__getattr__


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def module_graph() -> dict[str, set[str]]:
    """Module of psychometry -> the modules of psychometry it imports, function-level imports included.

    ``from .pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg`` (its
    ``__init__``); importing ``a.b.c`` also runs the ``__init__`` of ``a.b``, which is not counted here:
    a package's ``__init__`` re-exporting its own modules is the usual layout, not a circle.
    """
    modules = {_module_name(f): f for f in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, f in modules.items():
        package = mod.split(".") if f.name == "__init__.py" else mod.split(".")[:-1]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (
                    ".".join(
                        package[: len(package) - (node.level - 1)] + ([node.module] if node.module else [])
                    )
                    if node.level
                    else str(node.module)
                )
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for t in targets:
                while t and t not in modules:  # psychometry.x.Name -> psychometry.x
                    t = t.rpartition(".")[0]
                if t.startswith("psychometry") and t != mod:
                    graph[mod].add(t)
    return graph


def import_cycles(graph: dict[str, set[str]] | None = None) -> list[list[str]]:
    """The strongly connected components of the module graph with more than one module (Tarjan)."""
    graph = module_graph() if graph is None else graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_import_cycles_among_the_modules():
    assert import_cycles() == []


def test_the_cycle_check_finds_circles_and_sees_function_level_imports():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = module_graph()
    assert "psychometry.store" in graph["psychometry.results"]
    assert "psychometry.engine" in graph["psychometry"]  # inside psychometry.__getattr__
