"""Ingest benchmark: import N synthetic police.uk rows vs a bare ``pandas.read_csv``.

Baseline: ``pandas.read_csv(path)`` of the same file, in the same run.
Target (foundation issue): the whole import (read, validate, key, store in
SQLite, quarantine) within 5x the bare read and under 2 GB peak memory.

Each stage runs in its own process so its peak RSS is its own. Besides wall
seconds the table shows CPU seconds (all threads; on the 2-core machine a
ratio under load tracks the CPU ratio) and, for the import, the wall seconds
of its read, validate and store steps (the timed call itself is unchanged).

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))


def make_file(rows: int, path: Path, *, seed: int = 1) -> None:
    """Synthetic force-year: 30% ASB (blank Crime ID), 6% without location, snap points shared."""
    from geo.core.schema import INCIDENT_CATEGORIES, POLICE_UK_HEADER

    rng = np.random.default_rng(seed)
    points = 20_000
    plat = rng.uniform(51.3, 51.6, points).round(6)
    plng = rng.uniform(-2.8, -2.4, points).round(6)
    snap = rng.integers(0, points, rows)
    asb = rng.random(rows) < 0.3
    no_loc = rng.random(rows) < 0.06
    cats = np.array(INCIDENT_CATEGORIES[:14])
    category = np.where(asb, cats[0], cats[rng.integers(1, 14, rows)])
    ids = pd.Series(rng.integers(0, 2**63, rows, dtype=np.int64)).map("{:016x}".format).to_numpy()
    lat = np.char.mod("%.6f", plat[snap]).astype(object)
    lng = np.char.mod("%.6f", plng[snap]).astype(object)
    lat[no_loc] = ""
    lng[no_loc] = ""
    loc = np.char.add("On or near Street ", (snap % 5000).astype(str)).astype(object)
    loc[no_loc] = "No Location"
    frame = pd.DataFrame(
        {
            "Crime ID": np.where(asb, "", np.char.add(ids.astype(str), "a" * 48)),
            "Month": np.char.add("2024-", np.char.zfill((rng.integers(1, 13, rows)).astype(str), 2)),
            "Reported by": "Avon and Somerset Constabulary",
            "Falls within": "Avon and Somerset Constabulary",
            "Longitude": lng,
            "Latitude": lat,
            "Location": loc,
            "LSOA code": np.char.add("E0101", np.char.zfill((snap % 2000).astype(str), 4)),
            "LSOA name": np.char.add("Bristol ", (snap % 300).astype(str)),
            "Crime type": category,
            "Last outcome category": np.where(asb, "", "Investigation complete; no suspect identified"),
            "Context": "",
        }
    )[list(POLICE_UK_HEADER)]
    frame.to_csv(path, index=False, lineterminator="\r\n")


def stage(name: str, path: str, db: str) -> None:
    """Run one stage in this process and print JSON with seconds and peak RSS."""
    # Both stages start with their libraries loaded, so the ratio compares the
    # work on the data, not interpreter start-up and module imports.
    from geo.store import Store
    from geo.store.importer import import_path

    store = Store(db)
    phases = _time_phases() if name != "pandas.read_csv" else {}
    t, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, object] = {}
    if name == "pandas.read_csv":
        frame = pd.read_csv(path)
        extra["rows"] = len(frame)
    else:
        r = import_path(store, "incidents", path)
        extra = {k: getattr(r, k) for k in ("rows", "stored", "rejected", "already_present")}
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stage": name, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "phases": phases, **extra}))


def _time_phases() -> dict[str, float]:
    """Wall seconds of the import's read, validate and store steps (filled in as they run)."""
    import geo.store.importer
    from geo.store import Store

    phases: dict[str, float] = {}

    def timed(owner: object, attr: str, phase: str) -> None:
        fn = getattr(owner, attr)

        def run(*args: object, **kwargs: object) -> object:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                phases[phase] = phases.get(phase, 0.0) + time.perf_counter() - t

        setattr(owner, attr, run)

    timed(geo.store.importer, "read_csv_kind", "read")
    timed(geo.store.importer, "validate_table", "validate")
    timed(Store, "import_validated", "store")
    return phases


def run(rows: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"police_{rows}.csv"
    if not path.exists():
        print(f"generating {rows:,} rows -> {path}", flush=True)
        make_file(rows, path)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pandas.read_csv", "nestwatch import", "nestwatch re-import"):
            db = str(Path(tmp) / "bench.sqlite")
            stage_name = "nestwatch import" if name.startswith("nestwatch") else name
            out = subprocess.run(
                [sys.executable, __file__, "--stage", stage_name, "--path", str(path), "--db", db],
                capture_output=True,
                text=True,
                check=True,
            )
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["pandas.read_csv"]["seconds"]
    size_mb = path.stat().st_size / 1e6
    print(f"\nfile: {path.name}, {rows:,} rows, {size_mb:.0f} MB")
    print(f"{'stage':<22}{'seconds':>9}{'cpu s':>8}{'rows/s':>12}{'x baseline':>12}{'peak MB':>10}  phases (s)")
    for name, r in results.items():
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
        print(
            f"{name:<22}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{rows / r['seconds']:>12,.0f}"
            f"{r['seconds'] / base:>12.2f}{r['peak_mb']:>10.0f}  {phases}"
        )
    imp = results["nestwatch import"]
    print(
        f"\nimport: {imp['stored']:,} stored, {imp['rejected']:,} rejected; "
        f"re-import: {results['nestwatch re-import']['already_present']:,} already present"
    )
    print(f"target: import <= 5x baseline -> {imp['seconds'] / base:.2f}x; peak < 2048 MB -> {imp['peak_mb']:.0f} MB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--stage")
    ap.add_argument("--path")
    ap.add_argument("--db")
    a = ap.parse_args()
    if a.stage:
        stage(a.stage, a.path, a.db)
    else:
        run(a.rows)
