"""Synthetic force-wide and national data for the speed benchmarks: police.uk files, wards, estates, cases.

Real police.uk archives are one CSV per force per month; real wards are
irregular polygons with hundreds of vertices. This script makes the same
shapes at a chosen scale, so the benchmarks measure the paths a force or
the whole of England and Wales would take:

* ``--towns N`` towns, centred on real places across Great Britain (the
  first N of :data:`TOWNS`), each a square of ``--cells`` / N res-9 hexagons'
  worth of land (a res-9 cell is about 0.105 km2);
* wards: per town, Voronoi polygons of random seeds clipped to the town,
  their edges cut every 40 m (a real ward outline has hundreds of vertices,
  and the study area's cost grows with them); estates: a few irregular
  blobs per town, overlapping wards as real estates do;
* incidents: ``--rows`` ASB rows over ``--months`` months (one police.uk file
  per month, as the archive has), a third of them in blobs (hot spots, some
  growing or fading over the months so that emerging hot spots find
  patterns), the rest spread out, all snapped to street points shared by many
  rows as police.uk's anonymised locations are; 2 % without a location;
* cases: flagged addresses, closure orders and safeguarded people near the
  blobs, in the partner-export formats the importer reads.

Presets: ``--preset force`` (1 town, ~20,600 cells, 300,000 ASB rows over 36
months) and ``--preset national`` (40 towns, ~200,000 cells, 3,000,000 rows).

    .venv/bin/python benchmarks/make_national.py --preset force --out benchmarks/out/force
    .venv/bin/python -m geo import wards --db /tmp/f.db benchmarks/out/force/wards.geojson
    .venv/bin/python -m geo import incidents --db /tmp/f.db benchmarks/out/force/incidents
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.core.schema import ASB, INDICATORS, POLICE_UK_HEADER  # noqa: E402

#: (name, lat, lng): places across Great Britain, in the order towns are taken.
TOWNS = (
    ("Bristol", 51.455, -2.588),
    ("Manchester", 53.480, -2.242),
    ("Birmingham", 52.486, -1.890),
    ("Leeds", 53.801, -1.549),
    ("Liverpool", 53.408, -2.991),
    ("Sheffield", 53.381, -1.470),
    ("Newcastle", 54.978, -1.618),
    ("Nottingham", 52.954, -1.158),
    ("Leicester", 52.637, -1.140),
    ("Cardiff", 51.481, -3.179),
    ("Plymouth", 50.376, -4.143),
    ("Southampton", 50.910, -1.404),
    ("Portsmouth", 50.820, -1.088),
    ("Norwich", 52.630, 1.297),
    ("Cambridge", 52.205, 0.122),
    ("Oxford", 51.752, -1.258),
    ("Reading", 51.454, -0.978),
    ("Brighton", 50.823, -0.137),
    ("Exeter", 50.718, -3.534),
    ("Swansea", 51.621, -3.944),
    ("Stoke-on-Trent", 53.003, -2.180),
    ("Derby", 52.923, -1.476),
    ("Hull", 53.745, -0.336),
    ("Bradford", 53.796, -1.759),
    ("Coventry", 52.407, -1.512),
    ("Wolverhampton", 52.587, -2.129),
    ("Middlesbrough", 54.574, -1.235),
    ("Sunderland", 54.906, -1.383),
    ("Preston", 53.763, -2.703),
    ("Blackpool", 53.817, -3.036),
    ("Bournemouth", 50.720, -1.880),
    ("Ipswich", 52.056, 1.148),
    ("Peterborough", 52.573, -0.241),
    ("Northampton", 52.240, -0.903),
    ("Gloucester", 51.864, -2.244),
    ("Carlisle", 54.892, -2.932),
    ("York", 53.960, -1.082),
    ("Lincoln", 53.234, -0.538),
    ("Luton", 51.879, -0.418),
    ("Milton Keynes", 52.041, -0.759),
)
CELL_KM2 = 0.1053  # mean area of a res-9 hexagon
PRESETS = {
    "force": {"towns": 1, "cells": 20_600, "rows": 300_000, "months": 36, "wards": 100},
    "national": {"towns": 40, "cells": 200_000, "rows": 3_000_000, "months": 36, "wards": 25},
}


def _km_to_deg(lat0: float) -> tuple[float, float]:
    """Degrees of latitude and longitude per km near ``lat0``."""
    return 1 / 110.574, 1 / (111.320 * np.cos(np.radians(lat0)))


def town_square(lat: float, lng: float, side_km: float) -> shapely.Polygon:
    dlat, dlng = _km_to_deg(lat)
    h = side_km / 2
    return shapely.box(lng - h * dlng, lat - h * dlat, lng + h * dlng, lat + h * dlat)


def make_wards(rng: np.random.Generator, town: shapely.Polygon, n: int, *, prefix: str) -> pd.DataFrame:
    """``n`` Voronoi wards filling ``town``, edges cut every ~40 m (irregular, many vertices, no gaps)."""
    x0, y0, x1, y1 = town.bounds
    seeds = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=town))
    cells = shapely.intersection(cells, town)
    cells = cells[~shapely.is_empty(cells)]
    cells = shapely.segmentize(cells, 0.0004)  # ~40 m of latitude
    return pd.DataFrame(
        {
            "code": [f"{prefix}{i:04d}" for i in range(len(cells))],
            "name": [f"Ward {prefix}{i}" for i in range(len(cells))],
        }
    ).assign(geometry=list(cells))


def make_estates(
    rng: np.random.Generator, lat: float, lng: float, side_km: float, n: int, *, prefix: str
) -> pd.DataFrame:
    """``n`` estates: irregular blobs of 0.3-0.8 km radius inside the town."""
    dlat, dlng = _km_to_deg(lat)
    geoms = []
    for _ in range(n):
        cx = lng + rng.uniform(-0.4, 0.4) * side_km * dlng
        cy = lat + rng.uniform(-0.4, 0.4) * side_km * dlat
        angles = np.sort(rng.uniform(0, 2 * np.pi, 24))
        r = rng.uniform(0.3, 0.8) * rng.uniform(0.7, 1.0, 24)
        geoms.append(shapely.Polygon(np.c_[cx + r * np.cos(angles) * dlng, cy + r * np.sin(angles) * dlat]))
    return pd.DataFrame(
        {"code": [f"{prefix}E{i:03d}" for i in range(n)], "name": [f"Estate {prefix}{i}" for i in range(n)]}
    ).assign(geometry=geoms)


def _geojson(frame: pd.DataFrame, path: Path) -> None:
    features = [
        {"type": "Feature", "properties": {"code": c, "name": nm}, "geometry": shapely.geometry.mapping(g)}
        for c, nm, g in zip(frame["code"], frame["name"], frame["geometry"], strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def make(
    out: Path, *, towns: int, cells: int, rows: int, months: int, wards: int, start: str = "2023-01", seed: int = 11
) -> dict[str, object]:
    """Write ``wards.geojson``, ``estates.geojson``, ``incidents/<month>-synthetic-street.csv`` and case CSVs."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    side = float(np.sqrt(cells / towns * CELL_KM2))
    all_wards, all_estates, street_lat, street_lng, blobs = [], [], [], [], []
    for t, (_name, lat, lng) in enumerate(TOWNS[:towns]):
        square = town_square(lat, lng, side)
        all_wards.append(make_wards(rng, square, wards, prefix=f"E05{t:02d}"))
        all_estates.append(make_estates(rng, lat, lng, side, 6, prefix=f"T{t:02d}"))
        dlat, dlng = _km_to_deg(lat)
        streets = int(cells / towns * 1.5)  # police.uk snaps to roughly one or two points per hexagon
        street_lat.append(lat + rng.uniform(-0.5, 0.5, streets) * side * dlat)
        street_lng.append(lng + rng.uniform(-0.5, 0.5, streets) * side * dlng)
        for _ in range(max(4, int(cells / towns / 400))):  # a hot spot per ~400 cells
            blobs.append(
                (lat + rng.uniform(-0.4, 0.4) * side * dlat, lng + rng.uniform(-0.4, 0.4) * side * dlng, dlat, dlng)
            )
    wards_frame = pd.concat(all_wards, ignore_index=True)
    _geojson(wards_frame, out / "wards.geojson")
    _geojson(pd.concat(all_estates, ignore_index=True), out / "estates.geojson")

    slat, slng = np.concatenate(street_lat), np.concatenate(street_lng)
    tree = shapely.STRtree(shapely.points(slng, slat))
    b = np.array(blobs)
    which = rng.integers(0, len(b), rows)
    in_blob = rng.random(rows) < 1 / 3
    month_i = rng.integers(0, months, rows)
    # a quarter of the blobs grow over the months, a quarter fade: emerging patterns to find
    trend = np.where(np.arange(len(b)) % 4 == 0, 1.0, np.where(np.arange(len(b)) % 4 == 1, -1.0, 0.0))
    keep = rng.random(rows) < 0.5 + 0.5 * trend[which] * (month_i / max(months - 1, 1) - 0.5) * 2 * 0.8
    in_blob &= keep | ~in_blob
    spread = rng.normal(size=(rows, 2)) * 0.35  # km
    lat = np.where(in_blob, b[which, 0] + spread[:, 0] * b[which, 2], slat[rng.integers(0, len(slat), rows)])
    lng = np.where(in_blob, b[which, 1] + spread[:, 1] * b[which, 3], slng[rng.integers(0, len(slng), rows)])
    snap = tree.query_nearest(shapely.points(lng, lat), return_distance=False, all_matches=False)[1]
    lat, lng = slat[snap].round(6), slng[snap].round(6)
    no_loc = rng.random(rows) < 0.02
    period = pd.period_range(start, periods=months, freq="M")
    folder = out / "incidents"
    folder.mkdir(exist_ok=True)
    for m, p in enumerate(period):
        sel = np.flatnonzero(month_i == m)
        la = np.char.mod("%.6f", lat[sel]).astype(object)
        ln = np.char.mod("%.6f", lng[sel]).astype(object)
        la[no_loc[sel]] = ""
        ln[no_loc[sel]] = ""
        loc = np.char.add("On or near Street ", (snap[sel] % 9000).astype(str)).astype(object)
        loc[no_loc[sel]] = "No Location"
        pd.DataFrame(
            {
                "Crime ID": "",
                "Month": str(p),
                "Reported by": "Synthetic Constabulary",
                "Falls within": "Synthetic Constabulary",
                "Longitude": ln,
                "Latitude": la,
                "Location": loc,
                "LSOA code": np.char.add("E0101", np.char.zfill((snap[sel] % 9000).astype(str), 4)),
                "LSOA name": "Synthetic",
                "Crime type": ASB,
                "Last outcome category": "",
                "Context": "",
            }
        )[list(POLICE_UK_HEADER)].to_csv(folder / f"{p}-synthetic-street.csv", index=False, lineterminator="\r\n")
    _cases(rng, out, b, towns=towns, start=period[0].start_time, end=period[-1].end_time)
    return {"towns": towns, "side_km": side, "wards": len(wards_frame), "rows": rows, "months": months}


def _cases(
    rng: np.random.Generator, out: Path, blobs: np.ndarray, *, towns: int, start: pd.Timestamp, end: pd.Timestamp
) -> None:
    """Flagged addresses, closure orders and victims near the hot spots, in partner-export columns."""
    days = (end - start).days

    def near(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w = rng.integers(0, len(blobs), k)
        s = rng.normal(size=(k, 2)) * 0.3
        when = start + pd.to_timedelta(rng.integers(0, days, k), unit="D")
        return blobs[w, 0] + s[:, 0] * blobs[w, 2], blobs[w, 1] + s[:, 1] * blobs[w, 3], when

    keys = [label for label, _ in INDICATORS.values()]
    lat, lng, when = near(60 * towns)
    pd.DataFrame(
        {
            "UPRN": [f"{20_000_000 + i:012d}" for i in range(len(lat))],
            "Address": [f"{i % 90 + 1} Synthetic Road" for i in range(len(lat))],
            "Lat": lat.round(6),
            "Lng": lng.round(6),
            "First Flagged": when.strftime("%Y-%m-%d"),
            "Indicators": ["; ".join(rng.choice(keys, size=int(rng.integers(1, 4)), replace=False)) for _ in lat],
            "Status": np.where(rng.random(len(lat)) < 0.7, "open", "closed"),
            "Agency": "Housing",
        }
    ).to_csv(out / "flagged.csv", index=False)
    lat, lng, when = near(15 * towns)
    pd.DataFrame(
        {
            "Order Ref": [f"CO-{i:05d}" for i in range(len(lat))],
            "Latitude": lat.round(6),
            "Longitude": lng.round(6),
            "Granted": when.strftime("%Y-%m-%d"),
            "Expiry": (when + pd.DateOffset(months=3)).strftime("%Y-%m-%d"),
            "Agency": "Police",
        }
    ).to_csv(out / "closures.csv", index=False)
    lat, lng, when = near(50 * towns)
    pd.DataFrame(
        {
            "Person Ref": [f"V-{i:06d}" for i in range(len(lat))],
            "Date Safeguarded": when.strftime("%Y-%m-%d"),
            "Latitude": lat.round(6),
            "Longitude": lng.round(6),
            "Agency": "Police",
        }
    ).to_csv(out / "victims.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=list(PRESETS), default="force")
    parser.add_argument("--out", type=Path, required=True)
    for name in ("towns", "cells", "rows", "months", "wards"):
        parser.add_argument(f"--{name}", type=int, help=f"override the preset's {name}")
    args = parser.parse_args()
    options = {**PRESETS[args.preset], **{k: v for k in PRESETS[args.preset] if (v := getattr(args, k)) is not None}}
    t = time.perf_counter()
    made = make(args.out, **options)
    print(json.dumps({**made, "seconds": round(time.perf_counter() - t, 1), "out": str(args.out)}))


if __name__ == "__main__":
    main()
