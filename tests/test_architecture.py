"""The core never imports the edges (cli, io, service, report) — DESIGN.md's layering."""

from __future__ import annotations

import ast
from pathlib import Path

import tailorfolio

ROOT = Path(tailorfolio.__file__).parent
EDGES = ("tailorfolio.cli", "tailorfolio.io", "tailorfolio.service", "tailorfolio.report")
EDGE_DIRS = {"cli", "service", "report"}
EDGE_FILES = {"io.py", "__main__.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_core_does_not_import_edges() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in EDGE_DIRS or rel.name in EDGE_FILES and len(rel.parts) == 1:
            continue
        for mod in _imports(path):
            if mod.startswith(EDGES):
                offenders.append(f"{rel} imports {mod}")
    assert not offenders, offenders


def test_core_does_not_print() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in EDGE_DIRS or rel.name in EDGE_FILES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(str(rel))
    assert not offenders, offenders


def _package_graph() -> dict[str, set[str]]:
    """Subpackage → the subpackages it imports (every import, TYPE_CHECKING ones included)."""
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        pkg = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for mod in _imports(path):
            parts = mod.split(".")
            if parts[0] == "tailorfolio" and len(parts) > 1 and parts[1] != pkg:
                graph.setdefault(pkg, set()).add(parts[1])
    return graph


def test_package_import_graph_has_no_cycle() -> None:
    """The plan's stages import the context below them, never the orchestrator; no two
    packages import each other, directly or around a loop (STYLE.md habit 17)."""
    graph = _package_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_planning_stages_do_not_import_the_orchestrator() -> None:
    for name in ("_stages.py", "_context.py", "_sections.py", "_plan.py"):
        mods = _imports(ROOT / "planning" / name)
        assert "tailorfolio.planning._build" not in mods, name
