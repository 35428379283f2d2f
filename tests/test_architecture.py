"""The house's shape, checked from the code: no import cycle (parent packages count), entry
points import alone, every page renders.

``../shared/tools/house_rules.py`` checks the written imports; importing ``a.b.c`` also runs the
``__init__`` of ``a`` and ``a.b``, which can close a circle no single import line shows (a module
that works only because its callers happen to import something else first). Both are checked here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hpi_app"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _imports(path: Path, name: str) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    files = {
        _module(p): p for p in PACKAGE.rglob("*.py") if ".web" not in p.parts and ".states" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        own = {name, *_ancestors(name)}
        edges: set[str] = set()
        for target in _imports(path, name):
            if target in files:
                # Importing a.b.c runs a/__init__ and a/b/__init__ first (those this module is not inside).
                edges.update(m for m in (target, *_ancestors(target)) if m in files and m not in own)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_counting_the_packages_each_import_runs():
    graph = _graph()
    assert len(graph) > 50  # the walk found the package
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_circle_through_a_package_init():
    graph = {
        "app.core.tasks": {"app.core.tasks.create"},
        "app.core.tasks.create": {"app.core.sinks"},
        "app.core.sinks": {"app.core.sinks.email"},
        "app.core.sinks.email": {"app.core.tasks"},
    }
    assert _cycles(graph) == [sorted(graph)]


# Entry points a process may import first: each must import in a fresh interpreter on its own.
ENTRY_POINTS = [
    "hpi_app.workers.delivery",
    "hpi_app.core.deliveries",
    "hpi_app.core.sinks",
    "hpi_app.core.sinks.email",
    "hpi_app.core.tasks",
    "hpi_app.core.link_codes",
    "hpi_app.api.app",
    "hpi_app.mcp.server",
    "hpi_app.mcp.stdio",
    "hpi_app.cli",
]


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_module_imports_on_its_own(module):
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_page_of_the_app_renders():
    from hpi_app.hpi_app import app

    pages = dict(app._unevaluated_pages)
    assert {"index", "login", "tasks/[task_id]", "t/[link_id]", "settings/sinks"} <= set(pages)
    for route, page in pages.items():
        component = page.component() if callable(page.component) else page.component
        assert component.render(), route
