"""Server load: patrol-planner sessions per minute at p95 page-ready < 3 s, SQLite and PostgreSQL side by side.

For each backend the demo town is loaded into a fresh store, the app is started
on loopback (``streamlit run app.py``) and sessions are opened with Streamlit's
own websocket protocol (``benchmarks/session_client.py``: no browser, so the
two cores measure the server). "Page-ready" is the time from opening the
connection until the script has finished, i.e. the last element of the patrol
planner (map, ranked list, export buttons) has left the server.

1. Throughput: for each concurrency level, that many clients open sessions
   back to back for ``--seconds``; sessions per minute and p95 are printed, and
   the best rate whose p95 stays under 3 s is the figure to quote.
2. Memory: 200 sessions come and go (10 at a time); the server's resident
   memory is printed every 25, and the growth from session 50 to 200 is checked
   against a bound (``--growth-mb``, default 60 MB).

    .venv/bin/python benchmarks/bench_load.py                       # SQLite, and PostgreSQL when it can start one
    .venv/bin/python benchmarks/bench_load.py --backends sqlite --seconds 10

PostgreSQL: ``NESTWATCH_BENCH_DATABASE_URL`` names a server database to use,
otherwise a throw-away cluster is started with ``scripts/pg.sh`` (needs
PostgreSQL 15 + PostGIS installed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.session_client import AppServer, free_port, open_session  # noqa: E402

TARGET_P95 = 3.0
PAGE = "patrol"


def _demo_store(url: str) -> None:
    from geo.demo import load_demo
    from geo.store import Store

    store = Store(url)
    load_demo(store)
    store.dispose()


async def _clients(base: str, concurrency: int, seconds: float) -> list[float]:
    """``concurrency`` clients opening sessions back to back until ``seconds`` have passed."""
    stop = time.perf_counter() + seconds
    times: list[float] = []
    failures = 0

    async def client() -> None:
        nonlocal failures
        while time.perf_counter() < stop:
            result = await open_session(base, PAGE, timeout=60)
            if result.ok:
                times.append(result.seconds)
            else:
                failures += 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    if failures:
        print(f"      {failures} sessions failed")
    return times


def throughput(base: str, levels: list[int], seconds: float) -> tuple[float, int]:
    """Print sessions/min and p95 per concurrency; return the best rate with p95 < target and its level."""
    best = (0.0, 0)
    for c in levels:
        start = time.perf_counter()
        times = asyncio.run(_clients(base, c, seconds))
        elapsed = time.perf_counter() - start
        rate = len(times) / elapsed * 60
        p95 = float(np.percentile(times, 95)) if times else float("nan")
        ok = p95 < TARGET_P95
        print(
            f"    {c:3d} at once: {len(times):4d} sessions in {elapsed:5.1f} s = {rate:6.1f}/min, "
            f"median {np.median(times):5.2f} s, p95 {p95:5.2f} s {'ok' if ok else '> 3 s'}"
        )
        if ok and rate > best[0]:
            best = (rate, c)
        if not ok:
            break  # more clients only queue longer
    return best


def memory(app: AppServer, total: int = 200, batch: int = 10, every: int = 25) -> list[tuple[int, float]]:
    """Resident memory of the server as ``total`` sessions come and go, ``batch`` at a time."""

    async def wave() -> None:
        await asyncio.gather(*(open_session(app.base, PAGE, timeout=60) for _ in range(batch)))

    curve = [(0, app.rss_mb())]
    for done in range(batch, total + 1, batch):
        asyncio.run(wave())
        if done % every == 0 or done == total:
            curve.append((done, app.rss_mb()))
    return curve


def run_backend(name: str, url: str, *, levels: list[int], seconds: float, growth_mb: float) -> dict:
    print(f"\n{name}: loading the demo town…")
    _demo_store(url)
    with AppServer(url) as app:
        warm = asyncio.run(open_session(app.base, PAGE, timeout=120))
        print(f"  first page (cold caches) {warm.seconds:.2f} s; server {app.rss_mb():.0f} MB")
        print("  throughput (patrol planner):")
        rate, level = throughput(app.base, levels, seconds)
        print("  memory as 200 sessions come and go (MB):")
        curve = memory(app)
        print("    " + "  ".join(f"{n}:{mb:.0f}" for n, mb in curve))
        after50 = next(mb for n, mb in curve if n >= 50)
        growth = curve[-1][1] - after50
        verdict = "within" if growth <= growth_mb else "OVER"
        print(f"    growth from session 50 to 200: {growth:+.0f} MB ({verdict} the {growth_mb:.0f} MB bound)")
    return {"rate": rate, "level": level, "growth": growth, "rss": curve[-1][1]}


def _postgres() -> tuple[str, callable]:
    given = os.environ.get("NESTWATCH_BENCH_DATABASE_URL")
    if given:
        return given, lambda: None
    folder = tempfile.mkdtemp(prefix="nestwatch-bench-pg.")
    env = {**os.environ, "NESTWATCH_PG_DIR": folder, "NESTWATCH_PG_PORT": str(free_port())}
    server = subprocess.run(
        ["bash", str(ROOT / "scripts" / "pg.sh"), "start"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    base = server.rsplit("/", 1)[0]
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    stop = lambda: subprocess.run(["bash", str(ROOT / "scripts" / "pg.sh"), "stop"], env=env, check=False)  # noqa: E731
    return f"{base}/{name}", stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 2, 4, 8, 16])
    parser.add_argument("--seconds", type=float, default=20.0, help="per concurrency level")
    parser.add_argument("--growth-mb", type=float, default=60.0)
    args = parser.parse_args()
    print(f"Load on the patrol planner, demo town, {os.cpu_count()} cores; target p95 page-ready < {TARGET_P95} s")
    results = {}
    if "sqlite" in args.backends:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            results["SQLite"] = run_backend(
                "SQLite", url, levels=args.levels, seconds=args.seconds, growth_mb=args.growth_mb
            )
    if "postgresql" in args.backends:
        url, stop = _postgres()
        try:
            results["PostgreSQL"] = run_backend(
                "PostgreSQL", url, levels=args.levels, seconds=args.seconds, growth_mb=args.growth_mb
            )
        finally:
            stop()
    print("\nSummary (sessions per minute held at p95 < 3 s):")
    for name, r in results.items():
        print(
            f"  {name:10s} {r['rate']:6.1f}/min at {r['level']} concurrent; "
            f"server {r['rss']:.0f} MB after 200 more sessions ({r['growth']:+.0f} MB from session 50)"
        )
    if len(results) == 2:
        a, b = results["SQLite"]["rate"], results["PostgreSQL"]["rate"]
        print(f"  PostgreSQL / SQLite = {b / a:.2f}x" if a else "")


if __name__ == "__main__":
    main()
