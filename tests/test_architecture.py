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
