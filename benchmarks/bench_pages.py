"""Page benchmark: the patrol planner's first run, a rerun after a filter change, and a warm rerun.

Baseline: the cold first run of the page in the same process (empty caches); the other two
print their ratio to it. Runs the app in Streamlit's AppTest (the same script runner the
server uses, without a browser), signed in as a local inspector (a throw-away users file,
``NESTWATCH_USERS``: a store with real data refuses open mode), over

* the demo town (built here), by default;
* ``--force-wide``: the 1,000,000-row police.uk file of ``bench_ingest.py`` with a grid of wards (built here);
* ``--db PATH`` (repeatable): any store. A SQLite file is copied first, since signing in and
  looking at layers write audit rows; a database URL is used as it is (audit rows are added to it).

Targets (issue #15, ~20k cells): cold < 2 s, filter change < 1 s, warm rerun < 0.3 s. The cold run
counts the first import of streamlit-folium and folium (paid once per server process, shown apart).
``--profile`` also prints where each run spends its time (cProfile, inside AppTest's script thread).

    .venv/bin/python benchmarks/bench_pages.py [--force-wide] [--db PATH]... [--profile]
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))


def _grid_wards(path: Path, *, south: float, west: float, north: float, east: float, n: int = 6) -> None:
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import box

    lats = np.linspace(south, north, n + 1)
    lngs = np.linspace(west, east, n + 1)
    geoms, codes = [], []
    for i in range(n):
        for j in range(n):
            geoms.append(box(lngs[j], lats[i], lngs[j + 1], lats[i + 1]))
            codes.append(f"E0590{i:02d}{j:02d}")
    gpd.GeoDataFrame({"code": codes, "name": [f"Ward {c[-4:]}" for c in codes]}, geometry=geoms, crs=4326).to_file(
        path, driver="GeoJSON"
    )


def make_store(kind: str, db: Path) -> None:
    from geo.demo import load_demo
    from geo.store import Store
    from geo.store.importer import import_path

    store = Store(db)
    if kind == "demo":
        load_demo(store)
    else:
        csv = OUT / "police_1000000.csv"
        if not csv.exists():
            from benchmarks.bench_ingest import make_file

            OUT.mkdir(parents=True, exist_ok=True)
            make_file(1_000_000, csv)
        wards = db.parent / "grid-wards.geojson"
        _grid_wards(wards, south=51.3, west=-2.8, north=51.6, east=-2.4)
        import_path(store, "wards", wards)
        import_path(store, "incidents", csv)
    store.dispose()


#: The local inspector the benchmark signs in as (a users file made for the run, never data/users.toml).
INSPECTOR = ("bench-inspector", "bench-inspector-passphrase")
#: Issue #15's targets, seconds, for a force-wide store (~20k cells).
TARGETS = {"cold": 2.0, "changed": 1.0, "warm": 0.3}


def _sign_in(at: Any) -> None:
    """Sign in through the page's own form, as tests/pages/test_app.py does."""
    at.run()
    at.text_input(key="auth_user").set_value(INSPECTOR[0])
    at.text_input(key="auth_password").set_value(INSPECTOR[1])
    at.button[0].click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert "Patrol planner" in [e.value for e in at.get("page_link")], "not signed in as an inspector"


#: The profiler of the run being timed: AppTest runs the script in a thread of its own, so the profiler
#: is switched on inside that thread (:func:`_profile_script_threads`), not around the call.
_PROFILER: list[cProfile.Profile] = []


def _profile_script_threads() -> None:
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner

    plain = LocalScriptRunner._run_script_thread

    def profiled(self: Any) -> None:
        if not _PROFILER:
            return plain(self)
        _PROFILER[0].enable()
        try:
            return plain(self)
        finally:
            _PROFILER[0].disable()

    LocalScriptRunner._run_script_thread = profiled  # type: ignore[method-assign]


def _timed(run: Callable[[], object], profiler: cProfile.Profile | None) -> float:
    _PROFILER[:] = [profiler] if profiler else []
    t = time.perf_counter()
    run()
    seconds = time.perf_counter() - t
    _PROFILER.clear()
    return seconds


def stage(db: str, *, profile: bool = False) -> None:
    """In a fresh process: sign in as an inspector, then time the patrol page cold, after a filter change, and warm."""
    from streamlit.testing.v1 import AppTest

    from geo.access.users import add_user

    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    users = tmp / "users.toml"
    add_user(users, INSPECTOR[0], INSPECTOR[1], role="inspector")
    os.environ["NESTWATCH_USERS"] = str(users)
    os.environ["NESTWATCH_DB"] = db
    os.environ.pop("NESTWATCH_DATABASE_URL", None)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    _sign_in(at)
    profilers = (
        {"cold": cProfile.Profile(), "changed": cProfile.Profile(), "warm": cProfile.Profile()} if profile else {}
    )
    if profile:
        _profile_script_threads()
    # the page's first run imports the map libraries (once per server process): timed on their own here, in
    # the same process just before it, and counted in the cold run
    t = time.perf_counter()
    import streamlit_folium  # noqa: F401

    import dashboard.patrol  # noqa: F401

    imports = time.perf_counter() - t
    cold = imports + _timed(at.switch_page("pages/patrol.py").run, profilers.get("cold"))
    assert not at.exception, at.exception
    months = at.select_slider(key="f_months").value
    options = at.select_slider(key="f_months").options
    earlier = (options[options.index(months[0]) + 1], months[1])  # one month shorter: a new cache key
    changed = _timed(at.select_slider(key="f_months").set_value(earlier).run, profilers.get("changed"))
    warm = _timed(at.select_slider(key="f_months").set_value(months).run, profilers.get("warm"))
    assert not at.exception, at.exception
    for name, profiler in profilers.items():
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        print(f"--- {name}: the 15 biggest by cumulative time, then the project's own 30 (dashboard/, geo/, pages/)")
        stats.print_stats(15)
        stats.print_stats(r"/(dashboard|geo|pages)/", 30)
    from dashboard import results
    from dashboard.view import View

    cells = len(results.area(View(month_from=None, month_to=None, categories=None)))
    print(json.dumps({"cold": cold, "changed": changed, "warm": warm, "cells": cells, "imports": imports}))


def _copy_store(source: str, tmp: Path) -> str:
    """A SQLite store copied into ``tmp`` (the page writes audit rows); a server URL as it is."""
    path = source.removeprefix("sqlite:///")
    if "://" in path:
        return source
    if not Path(path).is_file():
        raise SystemExit(f"no store at {path}")
    copy = tmp / Path(path).name
    shutil.copy(path, copy)
    return str(copy)


def _mark(seconds: float, target: float) -> str:
    return "ok" if seconds < target else "SLOW"


def main(argv: list[str]) -> None:
    stores: list[tuple[str, str | None]] = []  # (label, given store or None to build one)
    if "--force-wide" in argv or not any(a == "--db" for a in argv):
        stores.append(("demo", None))
    if "--force-wide" in argv:
        stores.append(("force-wide", None))
    stores += [(Path(argv[i + 1]).name, argv[i + 1]) for i, a in enumerate(argv) if a == "--db"]
    profile = ["--profile"] if "--profile" in argv else []
    header = (
        f"{'store':<14}{'cells':>8}{'cold first run':>16}{'(imports)':>11}{'filter change':>15}{'/cold':>7}"
        f"{'warm rerun':>12}{'/cold':>7}"
    )
    print(header)
    rows = []
    for label, given in stores:
        with tempfile.TemporaryDirectory() as tmp:
            if given is None:
                db = str(Path(tmp) / f"{label}.sqlite")
                make_store(label, Path(db))
            else:
                db = _copy_store(given, Path(tmp))
            out = subprocess.run(
                [sys.executable, __file__, "--stage", db, *profile], capture_output=True, text=True, check=False
            )
            if out.returncode:
                raise SystemExit(f"{label}: the stage failed\n{out.stderr[-4000:]}")
            lines = out.stdout.strip().splitlines()
            if profile:
                print("\n".join(lines[:-1]))
            r = json.loads(lines[-1])
            rows.append((label, r))
    if profile:
        print(header)
    for label, r in rows:
        print(
            f"{label:<14}{r['cells']:>8,}{r['cold']:>13.2f} s {_mark(r['cold'], TARGETS['cold']):<4}"
            f"{r['imports']:>7.2f} s{r['changed']:>8.2f} s {_mark(r['changed'], TARGETS['changed']):<4}"
            f"{r['changed'] / r['cold']:>5.2f}"
            f"{r['warm']:>8.2f} s {_mark(r['warm'], TARGETS['warm']):<4}{r['warm'] / r['cold']:>5.2f}"
        )
    print(
        "baseline: the cold first run (/cold: ratio to it); (imports): of the cold run, the first import of "
        "streamlit-folium and folium (once per server process); targets on ~20k cells: "
        f"cold < {TARGETS['cold']:g} s, filter change < {TARGETS['changed']:g} s, warm rerun < {TARGETS['warm']:g} s"
    )


if __name__ == "__main__":
    if "--stage" in sys.argv:
        stage(sys.argv[sys.argv.index("--stage") + 1], profile="--profile" in sys.argv)
    else:
        main(sys.argv[1:])
