"""Ingest benchmark: import N synthetic police.uk rows vs a bare ``pandas.read_csv``, then import them again.

Baseline: ``pandas.read_csv`` of the same file (of every file, for a folder), in the same run.
Targets: the whole import (read, validate, key, store in SQLite, quarantine)
within 5x the bare read and under 2 GB peak memory (foundation issue); on the
national folder, under 30 s and 1.5 GB (issue #15); importing the same files
again at most 0.2x the first import (issue #15: the files are recognised by
their SHA-256, not read). The re-import is also timed read in full (the
recognition switched off), which is what every re-import cost before.

Each stage runs in a fresh process of its own, started by a parent that holds
no data, and reports the high-water mark of its own resident memory
(``VmHWM`` in ``/proc/self/status``). Not ``ru_maxrss``: Linux carries a
parent's peak into a forked child and through ``exec``, so each child's
``RUSAGE_SELF`` and the parent's ``RUSAGE_CHILDREN`` say at least what the
parent had (measured: a child of an 800 MB parent reported 811 MB, its
``VmHWM`` 11 MB). That is why every stage once showed the 1.5 GB the parent
took to generate the file. Besides wall seconds the table shows CPU seconds
(all threads; on the 2-core machine a ratio under load tracks the CPU ratio)
and, for the imports, the wall seconds of their steps (the timed call itself
is unchanged).

    .venv/bin/python benchmarks/bench_ingest.py [--rows 1000000]
    .venv/bin/python benchmarks/bench_ingest.py --path FILE_OR_FOLDER
    .venv/bin/python benchmarks/bench_ingest.py --national   # benchmarks/make_national.py --preset national
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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


#: The stages, each in a process of its own, in order: the import's store is copied for each re-import.
BASELINE, IMPORT, AGAIN, AGAIN_READ = "pandas.read_csv", "nestwatch import", "re-import", "re-import, read in full"


def stage(name: str, path: str, db: str) -> None:
    """Run one stage in this process and print JSON with seconds and peak memory."""
    # Every stage starts with the same libraries loaded, so the ratios compare
    # the work on the data, not interpreter start-up and module imports.
    import geo.store.importer
    from geo.store import Store
    from geo.store.importer import import_path

    store = Store(db)
    phases = _time_phases() if name != BASELINE else {}
    if name == AGAIN_READ:  # what every re-import cost before files were recognised
        geo.store.importer.recognise = lambda *_a, **_k: None
    t, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, object] = {}
    if name == BASELINE:
        files = sorted(Path(path).rglob("*.csv")) if Path(path).is_dir() else [Path(path)]
        frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)  # all held, as an import holds them
        extra["rows"] = len(frame)
    else:
        r = import_path(store, "incidents", path)
        extra = {k: getattr(r, k) for k in ("rows", "stored", "rejected", "already_present")}
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    store.dispose()  # the last connection closed: SQLite folds its WAL into the file the re-imports copy
    print(json.dumps({"stage": name, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb(), "phases": phases, **extra}))


def peak_mb() -> float:
    """This process's own peak resident memory in MB: ``VmHWM``, which ``exec`` starts afresh.

    ``ru_maxrss`` would do only where ``/proc`` is missing: on Linux it keeps
    the peak of the parent the process was forked from (see the module notes).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kb / 1024


def _time_phases() -> dict[str, float]:
    """Wall seconds of the import's recognise, read, validate and store steps (filled in as they run)."""
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

    timed(geo.store.importer, "recognise", "recognise")  # (the probes it validates are counted under validate)
    timed(geo.store.importer, "read_csv_kind", "read")
    timed(geo.store.importer, "validate_table", "validate")
    timed(Store, "import_validated", "store")
    return phases


def run(path: Path, *, national: bool = False) -> None:
    """Every stage in a process of its own (the store of the import copied for each re-import); print the table."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite"
        for name in (BASELINE, IMPORT, AGAIN, AGAIN_READ):
            where = db
            if name in (AGAIN, AGAIN_READ):  # each re-imports into the store as the import left it
                where = Path(tmp) / f"{name.replace(' ', '_').replace(',', '')}.sqlite"
                shutil.copy(db, where)
            out = subprocess.run(
                [sys.executable, __file__, "--stage", name, "--path", str(path), "--db", str(where)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                sys.exit(f"stage {name!r} failed:\n{out.stderr}")
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    rows = results[IMPORT]["rows"]
    base, first = results[BASELINE]["seconds"], results[IMPORT]["seconds"]
    files = sorted(path.rglob("*.csv")) if path.is_dir() else [path]
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"\n{path}: {len(files)} file(s), {rows:,} rows, {size_mb:.0f} MB")
    print(
        f"{'stage':<25}{'seconds':>9}{'cpu s':>8}{'rows/s':>12}{'x baseline':>12}{'x import':>10}{'peak MB':>10}"
        "  phases (s)"
    )
    for name, r in results.items():
        phases = ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items())
        print(
            f"{name:<25}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{rows / r['seconds']:>12,.0f}"
            f"{r['seconds'] / base:>12.2f}{r['seconds'] / first:>10.2f}{r['peak_mb']:>10.0f}  {phases}"
        )
    imp, again, read = results[IMPORT], results[AGAIN], results[AGAIN_READ]
    print(
        f"\nimport: {imp['stored']:,} stored, {imp['rejected']:,} rejected; re-import: {again['stored']:,} stored, "
        f"{again['rejected']:,} rejected, {again['already_present']:,} already present (read in full: "
        f"{read['stored']:,}, {read['rejected']:,}, {read['already_present']:,})"
    )
    same = all(again[k] == read[k] for k in ("rows", "stored", "rejected", "already_present"))
    print(
        f"target: re-import <= 0.2x the import -> {again['seconds'] / first:.2f}x (accounting as read in full: {same})"
    )
    if national or rows >= 3_000_000:  # the national figures
        print(f"target: import < 30 s -> {first:.1f} s; peak < 1536 MB -> {imp['peak_mb']:.0f} MB")
    else:
        print(f"target: import <= 5x baseline -> {first / base:.2f}x; peak < 2048 MB -> {imp['peak_mb']:.0f} MB")


def _generated(rows: int) -> Path:
    """The synthetic force-year file of ``rows`` rows, made in a process of its own (the parent stays small)."""
    path = OUT / f"police_{rows}.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"generating {rows:,} rows -> {path}", flush=True)
        subprocess.run([sys.executable, __file__, "--make", str(path), "--rows", str(rows)], check=True)
    return path


def _national() -> Path:
    """The national folder of benchmarks/make_national.py (3,000,000 rows in 36 monthly files), made if missing."""
    out = OUT / "national"
    if not (out / "incidents").is_dir():
        print(f"generating the national preset -> {out}", flush=True)
        script = Path(__file__).with_name("make_national.py")
        subprocess.run([sys.executable, str(script), "--preset", "national", "--out", str(out)], check=True)
    return out / "incidents"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated file (default 1,000,000)")
    ap.add_argument("--path", help="a police.uk file or folder to import instead of the generated file")
    ap.add_argument("--national", action="store_true", help="the folder of make_national.py --preset national")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--make", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.make:
        make_file(a.rows, Path(a.make))
    elif a.stage:
        stage(a.stage, a.path, a.db)
    else:
        run(_national() if a.national else Path(a.path) if a.path else _generated(a.rows), national=a.national)
