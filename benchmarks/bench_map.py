"""Map payload benchmark: compact h3-js hexagons vs a folium GeoJson layer of the same cells.

Baseline, measured in the same run: ``folium.Map`` + ``folium.GeoJson`` of the cells' polygons (from
``h3.cell_to_boundary``) with a ``GeoJsonTooltip`` on the same fields, rendered to HTML. The polygon
building is part of the baseline's time (our builder never makes polygons in Python); it is also printed
on its own.

Ours: ``dashboard.maps.base_map`` + ``add_hexes`` (same tooltip fields, coincidence outline) + render.

Two cases: a ward-sized map (~400 cells) and the synthetic force-wide case (~20,000 res-9 cells).
Target: under 1.5 MB and under 0.5 s for 20,000 cells.

If node is installed it also times what the browser will do with the payload: ``h3.cellToBoundary``
for every cell with the vendored h3-js (Leaflet's own drawing time needs a browser and is not included).

    .venv/bin/python benchmarks/bench_map.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import folium
import h3
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard import map_assets, maps  # noqa: E402

CENTRE = (51.45, -2.59)
CLASSES = {3: "hot 99 %", 2: "hot 95 %", 1: "hot 90 %", 0: "not significant"}
CLASSES |= {-1: "cold 90 %", -2: "cold 95 %", -3: "cold 99 %"}


def synthetic_cells(k: int, *, seed: int = 5) -> pd.DataFrame:
    """A hex disk of radius ``k`` round central Bristol with Gi* bins, counts and a few coincidences."""
    cells = list(h3.grid_disk(h3.latlng_to_cell(*CENTRE, 9), k))
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"cell": cells})
    frame["gi_bin"] = rng.choice([-3, -2, -1, 0, 0, 0, 0, 1, 2, 3], len(frame))
    frame["colour"] = frame["gi_bin"].map(maps.GI_COLOURS)
    frame["class"] = frame["gi_bin"].map(CLASSES)
    frame["incidents"] = rng.poisson(4, len(frame))
    frame["coincidence"] = (frame["gi_bin"] > 0) & (rng.random(len(frame)) < 0.05)
    return frame


def best_of(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def ours(frame: pd.DataFrame) -> int:
    m = maps.base_map()
    maps.add_hexes(m, frame, colour="colour", outline="coincidence", tooltip=("class", "incidents"), name="Hot spots")
    return len(maps.map_html(m).encode("utf-8"))


def baseline_features(frame: pd.DataFrame) -> dict:
    features = []
    rows = zip(frame["cell"], frame["class"], frame["incidents"], frame["colour"], strict=True)
    for cell, cls, n, colour in rows:
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(cell)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {"class": cls, "incidents": int(n), "colour": colour},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def baseline(frame: pd.DataFrame, features: dict | None = None) -> int:
    data = features if features is not None else baseline_features(frame)
    m = folium.Map(location=CENTRE, zoom_start=12, prefer_canvas=True)
    folium.GeoJson(
        data,
        name="Hot spots",
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "weight": 0.5, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(fields=["class", "incidents"]),
    ).add_to(m)
    return len(m.get_root().render().encode("utf-8"))


def browser_boundaries(frame: pd.DataFrame) -> float | None:
    """Seconds node takes for h3.cellToBoundary over every cell with the vendored h3-js (None: no node)."""
    node = shutil.which("node")
    if node is None:
        return None
    script = f"""
        const h3 = require({json.dumps(str(map_assets.STATIC_DIR / "vendor" / "h3-js" / "h3-js.umd.js"))});
        const ids = require("fs").readFileSync(process.argv[process.argv.length - 1], "utf8").split(" ");
        let best = Infinity;
        for (let r = 0; r < 3; r++) {{
          const t = process.hrtime.bigint();
          for (const id of ids) h3.cellToBoundary(id);
          best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
        }}
        console.log(best);
    """
    with tempfile.TemporaryDirectory() as tmp:
        ids = Path(tmp) / "ids.txt"
        ids.write_text(" ".join(frame["cell"]))
        out = subprocess.run([node, "-e", script, str(ids)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def bench(k: int) -> None:
    frame = synthetic_cells(k)
    ours(frame)  # warm imports and template compilation
    t_ours, b_ours = best_of(lambda: ours(frame))
    t_poly, features = best_of(lambda: baseline_features(frame), repeat=1)
    t_base_render, b_base = best_of(lambda: baseline(frame, features), repeat=2 if k > 40 else 3)
    t_base = t_poly + t_base_render
    print(f"{len(frame):,} cells")
    print(
        f"  html  baseline GeoJson {b_base / 1e6:7.2f} MB   ours {b_ours / 1e6:6.3f} MB   "
        f"{b_base / b_ours:5.1f}x smaller   (target < 1.5 MB: {'ok' if b_ours < 1.5e6 else 'MISSED'})"
    )
    print(
        f"  time  baseline {t_base:6.3f} s (polygons {t_poly:.3f} s + map {t_base_render:.3f} s)   "
        f"ours {t_ours:6.3f} s   {t_base / t_ours:5.1f}x faster   "
        f"(target < 0.5 s: {'ok' if t_ours < 0.5 else 'MISSED'})"
    )
    t_js = browser_boundaries(frame)
    if t_js is not None:
        print(f"  browser-side h3.cellToBoundary for every cell (node, vendored h3-js): {t_js * 1000:.0f} ms")


def main() -> None:
    for k in (11, 81):  # 397 and 19,927 cells
        bench(k)


if __name__ == "__main__":
    main()
