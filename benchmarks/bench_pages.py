"""Page benchmark: the patrol planner's first run, a rerun after a filter change, and a warm rerun.

Baseline: the cold first run of the page in the same process (empty caches).
Runs the app in Streamlit's AppTest (the same script runner the server uses,
without a browser) for the demo town and for a force-wide store (the 1,000,000
row police.uk file of ``bench_ingest.py`` with a grid of wards over it).
Target (dashboard issue): a warm rerun under 0.5 s.

    .venv/bin/python benchmarks/bench_pages.py [--force-wide]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def stage(db: str) -> None:
    """In a fresh process: time the patrol page cold, after a filter change, and warm."""
    from streamlit.testing.v1 import AppTest

    os.environ["NESTWATCH_DB"] = db
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    t = time.perf_counter()
    at.switch_page("pages/patrol.py").run()
    cold = time.perf_counter() - t
    assert not at.exception, at.exception
    months = at.select_slider(key="f_months").value
    options = at.select_slider(key="f_months").options
    earlier = (options[options.index(months[0]) + 1], months[1])  # one month shorter: a new cache key
    t = time.perf_counter()
    at.select_slider(key="f_months").set_value(earlier).run()
    changed = time.perf_counter() - t
    t = time.perf_counter()
    at.select_slider(key="f_months").set_value(months).run()
    warm = time.perf_counter() - t
    assert not at.exception, at.exception
    from dashboard import results
    from dashboard.view import View

    cells = len(results.area(View(month_from=None, month_to=None, categories=None)))
    print(json.dumps({"cold": cold, "changed": changed, "warm": warm, "cells": cells}))


def main() -> None:
    kinds = ["demo", "force-wide"] if "--force-wide" in sys.argv else ["demo"]
    print(f"{'store':<12}{'cells':>8}{'cold first run':>16}{'filter change':>15}{'warm rerun':>12}{'warm/cold':>11}")
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / f"{kind}.sqlite"
            make_store(kind, db)
            out = subprocess.run(
                [sys.executable, __file__, "--stage", str(db)], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{kind:<12}{r['cells']:>8,}{r['cold']:>15.2f}s{r['changed']:>14.2f}s{r['warm']:>11.2f}s"
                f"{r['warm'] / r['cold']:>11.2f}"
            )
    print("target: warm rerun < 0.5 s")


if __name__ == "__main__":
    if "--stage" in sys.argv:
        stage(sys.argv[sys.argv.index("--stage") + 1])
    else:
        main()
