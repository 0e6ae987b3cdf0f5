"""Layering rules (docs/architecture.md, "Layers"): the engine never imports Qt, the import
graph of app/ has no circle, and packages import only the packages the doc allows."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"

# docs/architecture.md, "Allowed imports": package -> the app packages it may import.
# "app" is the root package (its version), paths/settings are the two shared modules.
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "core": {"app"},
    "callback": {"core"},
    "sandbox": {"core", "callback"},
    "vault": {"core"},
    "engine": {"core", "callback", "sandbox", "vault", "paths"},
    "settings": {"core", "engine", "paths"},
    "cli": {"app", "core", "engine", "sandbox", "vault", "settings", "paths"},
    "gui": {"app", "core", "engine", "sandbox", "vault", "settings", "paths"},
}
# single modules with a wider reach than their package (docs/architecture.md says why)
ALLOWED_MODULE: dict[str, set[str]] = {}
# third-party modules a package must not import (Qt stays in the GUI; the GUI speaks no
# HTTP and no SQL itself)
FORBIDDEN = {
    "gui": ("httpx", "aiohttp", "sqlite3", "sqlite_utils", "psycopg"),
    **{
        package: ("PySide6", "qasync", "shiboken6")
        for package in ("core", "callback", "sandbox", "vault", "engine", "cli", "settings")
    },
}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(APP.parent).with_suffix("").parts)
    package = parts[-1] == "__init__"
    return ".".join(parts[:-1] if package else parts), package


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """Imports under `if TYPE_CHECKING:` exist for the type checker only."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return skipped


def _imports(name: str, package: bool, tree: ast.AST) -> set[str]:
    """Every module imported anywhere in the file: at its top AND inside functions."""
    found: set[str] = set()
    skipped = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """app/'s modules -> the app modules they import; and -> every module they import."""
    files = {_module_name(p): p for p in APP.rglob("*.py")}
    modules = {name for name, _package in files}
    graph: dict[str, set[str]] = {}
    everything: dict[str, set[str]] = {}
    for (name, package), path in files.items():
        imported = _imports(name, package, ast.parse(path.read_text(encoding="utf-8")))
        everything[name] = imported
        graph[name] = {m for m in imported if m in modules and m != name}
    return graph, everything


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def test_cycle_finder_finds_a_circle_and_nothing_in_a_line() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_import_graph_sees_function_level_imports() -> None:
    tree = ast.parse("def f():\n    from app.engine import manage\n")
    assert "app.engine.manage" in _imports("app.x", False, tree)
    guarded = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.gui\n")
    assert "app.gui" not in _imports("app.x", False, guarded)


def test_app_import_graph_has_no_circle() -> None:
    graph, _ = import_graph()
    assert len(graph) > 100  # the whole of app/, not an empty walk
    assert cycles(graph) == []


def test_packages_import_only_what_the_architecture_allows() -> None:
    graph, everything = import_graph()
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if _package(target) != _package(module)
        and _package(target) not in ALLOWED.get(_package(module), set())
        and _package(target) not in ALLOWED_MODULE.get(module, set())
    )
    assert wrong == []
    banned = sorted(
        f"{module} -> {imported}"
        for module, imports in everything.items()
        for imported in imports
        if imported.split(".")[0] in FORBIDDEN.get(_package(module), ())
    )
    assert banned == []


def test_engine_layers_load_no_qt() -> None:
    code = (
        "import sys, app.core.handshake, app.core.runner, app.core.transcript_export, app.callback.server, "
        "app.vault, app.sandbox, app.engine, app.cli; "
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'shiboken6'))); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
