"""Many writers, killed writers, a restarted database and many readers: nothing lost, nothing half-seen.

Each test bounds its own time (subprocess and page timeouts) and runs against
loopback only. On PostgreSQL (``NESTWATCH_TEST_DATABASE_URL``) they run against
the throw-away cluster; on SQLite against a file. Store-level comparisons use
content, not ids, because parallel imports may finish in any order.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.core.schema import POLICE_UK_HEADER
from geo.demo import load_demo
from geo.store._store import WRITE_LOCK, Store
from geo.store.importer import import_path
from tests.conftest import TEST_SERVER, police_csv, police_row, store_url

ROOT = Path(__file__).resolve().parents[2]


def _police_file(path: Path, n: int, *, seed: int, month: str = "2026-10") -> Path:
    """``n`` police.uk rows spread over the demo town (Nestwick), some without a location."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "Crime ID": "",
            "Month": month,
            "Reported by": "Nestwick Police",
            "Falls within": "Nestwick Police",
            "Longitude": np.round(rng.uniform(0.86, 0.98, n), 6),
            "Latitude": np.round(rng.uniform(53.92, 53.98, n), 6),
            "Location": [f"On or near Street {i}" for i in rng.integers(0, 500, n)],
            "LSOA code": "E01000001",
            "LSOA name": "Nestwick 001A",
            "Crime type": "Anti-social behaviour",
            "Last outcome category": "",
            "Context": "",
        },
        columns=list(POLICE_UK_HEADER),
    )
    frame.loc[rng.random(n) < 0.05, ["Longitude", "Latitude"]] = np.nan  # "No Location" rows: rejected
    frame.to_csv(path, index=False)
    return path


def _cli(*args: str, db: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "geo", *args, "--db", db],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _content(store: Store) -> dict[str, pd.DataFrame]:
    """What a store holds, ids and import order aside."""
    incidents = store.read("incidents").astype(str)
    rejects = store.rejects()[["file", "row", "column", "reason"]].astype(str)
    return {
        "incidents": incidents.sort_values(list(incidents.columns)).reset_index(drop=True),
        "rejects": rejects.sort_values(list(rejects.columns)).reset_index(drop=True),
    }


def _writer_active(url: str) -> bool:
    """True while some process holds the store's write lock (an import is inside its transaction)."""
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            held = conn.execute(
                sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted"),
                {"k": WRITE_LOCK},
            ).scalar_one()
        engine.dispose()
        return bool(held)
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # "database is locked": a writer holds it
        return True
    finally:
        conn.close()


def test_eight_parallel_imports_equal_a_serial_import(tmp_path):
    rows = [
        police_row(month=f"2024-{m:02d}", location=f"On or near Street {i}") for m in range(1, 13) for i in range(8)
    ]
    files = []
    for i in range(8):  # each file shares half its rows with the next one
        bad = police_row(lat="", location=f"No location {i}")  # one rejected row in each (the quarantine
        # keeps one copy of identical rejects, which would make the file it names depend on the order)
        part = rows[i * 10 : i * 10 + 20] + [rows[(i * 10 + 50) % len(rows)]] * 2 + [bad]
        files.append(tmp_path / f"f{i}.csv")
        files[-1].write_text(police_csv(*part), encoding="utf-8")
    url = store_url(tmp_path / "parallel.sqlite")  # not created yet: the eight also race to create the schema
    procs = [_cli("import", "incidents", str(f), "--json", db=url) for f in files]
    for p in procs:
        _out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    serial = Store(store_url(tmp_path / "serial.sqlite"))
    for f in files:
        import_path(serial, "incidents", f)
    parallel = Store(url)
    assert parallel.count("incidents") == serial.count("incidents") > 0
    got, want = _content(parallel), _content(serial)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    log = parallel.imports()
    assert len(log) == 8 and (log["rows"] == log["stored"] + log["rejected"] + log["already_present"]).all()
    parallel.dispose()
    serial.dispose()


def test_an_import_killed_part_way_leaves_nothing_and_the_rerun_equals_a_clean_import(tmp_path):
    big = _police_file(tmp_path / "big.csv", 400_000, seed=1)  # its write phase lasts long enough to be caught
    url = store_url(tmp_path / "killed.sqlite")
    Store(url).dispose()  # schema in place, so the only writer is the import
    proc = _cli("import", "incidents", str(big), db=url)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not _writer_active(url):
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be caught in its transaction"
    time.sleep(0.05)  # part-way through writing
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = Store(url)
    assert store.is_empty() and store.count("incidents") == 0 and store.rejects().empty  # nothing half-written
    rerun = import_path(store, "incidents", big)
    clean = Store(store_url(tmp_path / "clean.sqlite"))
    fresh = import_path(clean, "incidents", big)
    assert (rerun.stored, rerun.rejected, rerun.already_present) == (fresh.stored, fresh.rejected, 0)
    got, want = _content(store), _content(clean)
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)
    store.dispose()
    clean.dispose()


@pytest.fixture
def demo_url(tmp_path) -> str:
    url = store_url(tmp_path / "demo.sqlite")
    store = Store(url)
    load_demo(store)
    store.dispose()
    return url


def _incidents_shown(result) -> int:
    """The sidebar's "N incidents · …" line, as the session received it."""
    line = next(t for t in result.texts if " incidents · " in t)
    return int(line.split(" incidents")[0].replace(",", ""))


@pytest.mark.skipif(not TEST_SERVER, reason="PostgreSQL only: a SQLite file has no server to restart")
def test_the_dashboard_reconnects_after_the_database_restarts(demo_url):
    from benchmarks.session_client import AppServer, load_pages

    data_dir = os.environ.get("NESTWATCH_TEST_PG_DATA")
    if not data_dir:
        pytest.skip("NESTWATCH_TEST_PG_DATA (the cluster's data directory) is not set")
    with AppServer(demo_url) as app:
        before = load_pages(app.base, "patrol", 1)[0]
        assert before.ok, before.exceptions
        log = str(Path(data_dir).parent / "log")  # the server must not inherit our pipes, or run() waits for it
        ctl = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", data_dir, "-l", log, "-m", "fast", "-w", "restart"]
        if os.getuid() == 0:
            ctl = ["runuser", "-u", "postgres", "--", *ctl]
        subprocess.run(ctl, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        after = load_pages(app.base, "patrol", 1)[0]
    assert after.ok and not after.errors, after.exceptions + after.errors
    assert _incidents_shown(after) == _incidents_shown(before) == 10_974


def test_twenty_sessions_while_imports_land_each_see_a_whole_state_never_half(demo_url, tmp_path):
    """Imports keep committing (one after another) while 20 sessions load the patrol planner.

    Each session must show the store as it was before or after some import,
    never part-way through one: its incident count is one of the committed totals.
    """
    import json
    import threading

    from benchmarks.session_client import AppServer, load_pages

    files = [_police_file(tmp_path / f"new{i}.csv", 40_000, seed=10 + i, month=f"2026-0{i + 1}") for i in range(6)]
    store = Store(demo_url)
    totals = [store.count("incidents")]
    store.dispose()
    errors: list[str] = []

    def land_imports() -> None:
        for f in files:
            proc = _cli("import", "incidents", str(f), "--json", db=demo_url)
            out, err = proc.communicate(timeout=180)
            if proc.returncode:
                errors.append(err)
                return
            totals.append(totals[-1] + json.loads(out)["stored"])

    with AppServer(demo_url) as app:
        assert load_pages(app.base, "patrol", 1)[0].ok  # warm: the wave measures the imports, not start-up
        writer = threading.Thread(target=land_imports)
        writer.start()
        results = []
        while writer.is_alive() and len(results) < 200:  # waves of 20 sessions for as long as imports land
            results += load_pages(app.base, "patrol", 20, timeout=120)
        writer.join(timeout=300)
        after = load_pages(app.base, "patrol", 1)[0]
    assert not errors, errors
    assert len(totals) == len(files) + 1 and totals[-1] > totals[0]
    assert results and all(r.ok for r in results), [r.exceptions for r in results if not r.ok][:3]
    seen = [_incidents_shown(r) for r in results]
    assert set(seen) <= set(totals), f"sessions saw {sorted(set(seen) - set(totals))}, committed totals {totals}"
    assert _incidents_shown(after) == totals[-1]
