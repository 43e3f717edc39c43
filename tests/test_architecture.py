"""The direction of flow, enforced by reading every import with ``ast``.

Four rules:

1. **Layers.** ``geo``'s stages, in :data:`geo.LAYERS` order, then ``dashboard``
   and the pages: a module may import from its own layer and earlier ones,
   never from a later one. The order is data (``ORDER`` below), not code.
2. **Private modules.** A module whose name starts with ``_`` is imported only
   from inside its own subpackage (tests may reach in).
3. **Libraries.** ``streamlit`` only in ``app.py``, ``dashboard/`` and ``pages/``;
   ``folium`` only in ``dashboard/``; ``h3``/``h3ronpy`` only in the space layer.
4. **Size.** No module over 600 lines.

Imports inside ``if TYPE_CHECKING:`` count too: a type that comes from a later
stage is a dependency that runs backwards all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import geo

ROOT = Path(__file__).resolve().parents[1]
#: Every layer in the order data flows; geo's stages come from the package itself.
ORDER: tuple[str, ...] = (*(f"geo.{name}" for name in geo.LAYERS), "dashboard", "pages", "app")
LIBRARIES = {
    "streamlit": ("app.py", "dashboard/", "pages/"),
    "streamlit_folium": ("dashboard/", "pages/"),
    "folium": ("dashboard/",),
    "h3": ("geo/space/",),
    "h3ronpy": ("geo/space/",),
}
MAX_LINES = 600


def sources() -> list[Path]:
    """The application's own modules: geo, dashboard, pages and app.py (not tests, benchmarks or scripts)."""
    files = [ROOT / "app.py", *sorted((ROOT / "geo").rglob("*.py"))]
    files += sorted((ROOT / "dashboard").rglob("*.py")) + sorted((ROOT / "pages").rglob("*.py"))
    return files


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file; a module imported from a package by name counts."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from geo.store import audit`` imports the module geo.store.audit, not just geo.store
            submodules = [f"{base}.{a.name}" for a in node.names if is_module(f"{base}.{a.name}")]
            found += [(node.lineno, m) for m in submodules or [base]]
    return found


def is_module(dotted: str) -> bool:
    """Whether ``dotted`` names one of our modules or packages (not a function or class)."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(module: str) -> int | None:
    """Index in ORDER of the layer holding ``module``; None for third-party modules and bare ``geo``."""
    best = None
    for i, layer in enumerate(ORDER):
        if module == layer or module.startswith(layer + "."):
            best = i
    return best


def backwards_imports(files: list[Path], *, root: Path = ROOT) -> list[str]:
    """Every import in ``files`` of a module from a later layer than the importing module's own."""
    offenders = []
    for path in files:
        mine = layer_of(module_name(path, root))
        for line, target in imports_of(path, root):
            theirs = layer_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                rel = path.relative_to(root).as_posix()
                offenders.append(f"{rel}:{line} ({ORDER[mine]}) imports {target} ({ORDER[theirs]})")
    return offenders


def test_every_geo_subpackage_is_a_layer():
    packages = {p.name for p in (ROOT / "geo").iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in (ROOT / "geo").glob("*.py") if not p.name.startswith("__")}
    assert packages | modules == set(geo.LAYERS)


def test_no_layer_imports_a_later_one():
    assert backwards_imports(sources()) == []


def test_the_layer_test_catches_a_backwards_import(tmp_path):
    """A planted backwards import is reported, with file, line and both layers (so the test above can fail)."""
    planted = tmp_path / "geo" / "space" / "_planted.py"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "from geo.core.errors import InputError\n"  # earlier layer: fine
        "from geo.space import hexes\n"  # own layer: fine
        "from geo.plan.priority import rank\n"  # later layer: reported
        "if TYPE_CHECKING:\n    from geo import publish\n"  # later, even for types only
    )
    assert backwards_imports([planted], root=tmp_path) == [
        "geo/space/_planted.py:3 (geo.space) imports geo.plan.priority (geo.plan)",
        "geo/space/_planted.py:5 (geo.space) imports geo.publish (geo.publish)",
    ]


def test_private_modules_are_imported_only_inside_their_subpackage():
    offenders = []
    for path in sources():
        mine = module_name(path)
        for line, target in imports_of(path):
            parts = target.split(".")
            private = [i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")]
            if not private or parts[0] not in ("geo", "dashboard"):
                continue
            owner = ".".join(parts[: private[0]])
            if not (mine == owner or mine.startswith(owner + ".")):
                offenders.append(f"{path.relative_to(ROOT).as_posix()}:{line} imports private {target}")
    assert offenders == []


def test_libraries_are_used_only_where_they_belong():
    offenders = []
    for path in sources():
        rel = path.relative_to(ROOT).as_posix()
        for line, target in imports_of(path):
            top = target.split(".")[0]
            if top in LIBRARIES and not rel.startswith(LIBRARIES[top]):
                offenders.append(f"{rel}:{line} imports {top}")
    assert offenders == []


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES
