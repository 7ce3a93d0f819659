"""The package tree is the architecture: every import goes to the same layer or one above.

Layers, first to last: spec, io, engine, explain, present, selection, decide and fair (side
by side, neither imports the other), cli and app (the local web application; only the
``balancer app`` command of the CLI imports it) and the api facade. A module may import only from
its own package or from an earlier layer; this test reads every import statement (also the
ones inside functions) so an upward import or a cycle between layers cannot creep back in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import balancer

PACKAGE = Path(balancer.__file__).parent
RANK = {
    "spec": 0,
    "io": 1,
    "engine": 2,
    "explain": 3,
    "present": 4,
    "selection": 5,
    "decide": 6,
    "fair": 6,
    "cli": 7,
    "app": 7,
    "api": 7,
    "__init__": 8,
    "__main__": 8,
}


ALLOWED = {("cli", "app")}
"""Side-by-side layers that may meet: the ``balancer app`` command starts the web app."""


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [node.module] if node.module != "balancer" else names
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return [m for m in found if m == "balancer" or m.startswith("balancer.")]


def test_every_module_sits_in_a_known_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert layer in RANK, f"{path} is in no layer; add its package to the README table"


def test_no_import_goes_to_a_later_layer() -> None:
    upward = []
    for path in PACKAGE.rglob("*.py"):
        here = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for target in _imports(path):
            there = _layer(target)
            if there == here or target == "balancer" or (here, there) in ALLOWED:
                continue
            if RANK[there] >= RANK[here]:
                upward.append(f"{path.relative_to(PACKAGE)} imports {target}")
    assert upward == []


def _module_name(path: Path) -> str:
    parts = ("balancer", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_between_modules() -> None:
    """Within a layer too: the CLI package and its shell once imported each other."""
    graph = {_module_name(p): set(_imports(p)) for p in PACKAGE.rglob("*.py")}
    graph = {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
