"""The direction of flow, enforced: who may import streamlit, folium and h3."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = {
    "streamlit": ("app.py", "dashboard/", "pages/"),
    "streamlit_folium": ("dashboard/", "pages/"),
    "folium": ("dashboard/",),
    "h3": ("geo/hexes.py",),
    "h3ronpy": ("geo/hexes.py",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_follow_the_architecture():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "tests/", "benchmarks/")) or "/." in rel:
            continue
        for module in imported_modules(path) & RULES.keys():
            if not rel.startswith(RULES[module]):
                offenders.append(f"{rel} imports {module}")
    assert not offenders
