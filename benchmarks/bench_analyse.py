"""Whole-path benchmark: ``python -m geo analyse`` against a floor, on a force and on England and Wales.

Baseline, measured in the same run (``floor``): the least any hot spot tool
must do with the same points, in its own process with the data already in
memory: h3ronpy indexing of every point, ``np.bincount`` into cell × month,
and the project's own Gi* (``gi_star``) and emerging hot spots (space-time
Gi* + Mann-Kendall + categories) over the study area's cells, the weights
and each row's month code made beforehand (not timed).
``analyse`` is timed as its own summary says (``seconds.total``: reading the
store, the study area, the cube, every statistic and writing the three CSVs,
Python's start-up left out, as the floor's is), first with the kept study area
and weights removed from the store (``cold``) and then as every later run
finds them (``warm``). Every stage runs in its own process, so its peak
memory (``wait4``'s ``ru_maxrss``) is its own.

Presets (data made by ``benchmarks/make_national.py`` under ``benchmarks/out/``,
then imported once into ``benchmarks/out/<preset>.sqlite``):

* ``force1m``: one force, ~20,600 res-9 cells, 1,000,000 ASB rows over 36
  months. Target: ``analyse`` warm <= 3x the floor, peak < 1 GB.
* ``national``: 40 towns across Great Britain, ~200,000 cells, 3,000,000
  rows. Targets: import < 30 s and < 1.5 GB; ``analyse`` < 10 s and < 2 GB.

    .venv/bin/python benchmarks/bench_analyse.py [--preset force1m|national] [--fresh]
"""

from __future__ import annotations

import argparse
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

PRESETS = {
    "force1m": {"make": {"towns": 1, "cells": 20_600, "rows": 1_000_000, "months": 36, "wards": 100}},
    "national": {"make": {"towns": 40, "cells": 200_000, "rows": 3_000_000, "months": 36, "wards": 25}},
}
TARGETS = {
    "force1m": {"analyse_x_floor": 3.0, "analyse_mb": 1024},
    "national": {"import_s": 30.0, "import_mb": 1536, "analyse_s": 10.0, "analyse_mb": 2048},
}


def run(argv: list[str]) -> tuple[float, float, str]:
    """Run a command in its own process: (wall seconds, peak MB of that process alone, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)  # reaped here, so its own rusage comes back
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {err.read().strip()[-500:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def prepare(preset: str, *, fresh: bool) -> tuple[Path, dict[str, float]]:
    """The preset's files and store (made if missing, or again with ``fresh``); the import's figures if timed."""
    from benchmarks.make_national import make

    data = OUT / preset
    if fresh or not (data / "incidents").exists():
        print(f"making {preset} data in {data} …", flush=True)
        make(data, **PRESETS[preset]["make"])
    db = OUT / f"{preset}.sqlite"
    figures: dict[str, float] = {}
    if fresh or not db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        geo = [sys.executable, "-m", "geo"]
        for kind in ("wards", "estates"):
            run([*geo, "import", kind, "--db", str(db), str(data / f"{kind}.geojson")])
        print("importing incidents …", flush=True)
        wall, peak, _ = run([*geo, "import", "incidents", "--db", str(db), str(data / "incidents")])
        figures = {"import_s": wall, "import_mb": peak}
        for kind in ("flagged", "closures", "victims"):
            run([*geo, "import", kind, "--db", str(db), str(data / f"{kind}.csv")])
    return db, figures


def floor(db: str) -> None:
    """In this process: the floor's work on the store's points (loaded first, not timed); prints JSON."""
    import numpy as np
    from h3ronpy.vector import coordinates_to_cells

    from geo.plan.analysis import load_area
    from geo.stats.emerging import emerging_hotspots
    from geo.stats.hotspots import gi_star
    from geo.stats.weights import cells_to_gi_weights
    from geo.store import Store

    store = Store(db)
    table = store.read_table("incidents", columns=["lat", "lng", "month"])
    lat = table.column("lat").to_numpy()
    lng = table.column("lng").to_numpy()
    codes = table.column("month").combine_chunks().dictionary_encode()
    month_i = np.asarray(codes.indices).astype(np.int64)  # one code per row, made before the clock starts
    months = len(codes.dictionary)
    cells = load_area(store, res=9).cells  # the same cells as analyse's (sorted), so Gi* is like for like
    store.dispose()
    weights = cells_to_gi_weights(cells, k=1)
    start = time.perf_counter()
    cell = np.asarray(coordinates_to_cells(lat, lng, 9)).astype(np.uint64)
    pos = np.minimum(np.searchsorted(cells, cell), len(cells) - 1)
    keep = cells[pos] == cell  # a point outside the study area is not counted
    flat = pos[keep] * months + month_i[keep]
    counts = np.bincount(flat, minlength=len(cells) * months).reshape(len(cells), months)
    gi_star(counts.sum(axis=1).astype(float), weights, fdr=True)
    emerging_hotspots(counts, weights)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "cells": len(cells), "rows": len(lat)}))


def analyse(db: Path, *, cold: bool) -> dict[str, float]:
    """``geo analyse`` in its own process (the kept study area and weights removed first when ``cold``)."""
    if cold:
        import sqlalchemy as sa

        from geo.store import Store

        store = Store(db)
        with store.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM derived"))
        store.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        wall, peak, _ = run([sys.executable, "-m", "geo", "analyse", "--db", str(db), "--out", tmp])
        summary = json.loads((Path(tmp) / "summary.json").read_text())
    return {
        "wall": wall,
        "peak_mb": peak,
        **{f"s_{k}": v for k, v in summary["seconds"].items()},
        "cells": summary["cells"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=list(PRESETS), default="force1m")
    parser.add_argument("--fresh", action="store_true", help="make the data and the store again (times the import)")
    args = parser.parse_args()
    db, imported = prepare(args.preset, fresh=args.fresh)
    _w, floor_peak, out = run([sys.executable, __file__, "--floor", str(db)])
    base = json.loads(out.strip().splitlines()[-1])
    cold = analyse(db, cold=True)
    warm = analyse(db, cold=False)
    target = TARGETS[args.preset]
    print(
        f"\n{args.preset}: {base['rows']:,} incidents, {warm['cells']:,} cells at res 9 "
        f"(floor: the same {base['cells']:,})"
    )
    if imported:
        print(f"import            {imported['import_s']:8.2f} s  {imported['import_mb']:7.0f} MB")
    print(f"floor (baseline)  {base['seconds']:8.2f} s  {floor_peak:7.0f} MB   1.00x")
    for name, r in (("analyse cold", cold), ("analyse warm", warm)):
        total = r["s_total"]
        print(
            f"{name:<17} {total:8.2f} s  {r['peak_mb']:7.0f} MB  {total / base['seconds']:5.2f}x   "
            f"(process wall {r['wall']:.2f} s)"
        )
    stages = ", ".join(f"{k[2:]} {v:.2f}" for k, v in warm.items() if k.startswith("s_") and k != "s_total")
    print(f"  warm stages (s): {stages}")
    lines = []
    if "analyse_x_floor" in target:
        ratio = warm["s_total"] / base["seconds"]
        lines.append(f"analyse warm <= {target['analyse_x_floor']}x floor -> {ratio:.2f}x")
    if "analyse_s" in target:
        lines.append(f"analyse < {target['analyse_s']} s -> {warm['s_total']:.2f} s (cold {cold['s_total']:.2f} s)")
    lines.append(f"analyse peak < {target['analyse_mb']} MB -> {max(cold['peak_mb'], warm['peak_mb']):.0f} MB")
    if imported and "import_s" in target:
        lines.append(
            f"import < {target['import_s']} s and < {target['import_mb']} MB -> "
            f"{imported['import_s']:.1f} s, {imported['import_mb']:.0f} MB"
        )
    print("targets: " + "; ".join(lines))


if __name__ == "__main__":
    if "--floor" in sys.argv:
        floor(sys.argv[sys.argv.index("--floor") + 1])
    else:
        main()
