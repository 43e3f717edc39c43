"""Many writers, killed writers, a restarted database and many readers: nothing lost, nothing half-seen.

Each test bounds its own time (subprocess and page timeouts, stretched by
:func:`tests.conftest.patience` on a busy machine) and runs against loopback
only. On PostgreSQL (``NESTWATCH_TEST_DATABASE_URL``) they run against the
throw-away cluster; on SQLite against a file. Store-level comparisons use
content, not ids, because parallel imports may finish in any order. Nothing
waits for a fixed time: each wait is for a condition (a lock held, CPU spent,
a process ended, a script finished), and a failure says which one.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from benchmarks.session_client import AppServer, SessionResult, load_pages
from geo.core.schema import POLICE_UK_HEADER
from geo.store._store import WRITE_LOCK, Store
from geo.store.importer import import_path
from tests.conftest import TEST_SERVER, patience, police_csv, police_row, store_url, wait_until

ROOT = Path(__file__).resolve().parents[2]
#: How long one session may take to load the patrol planner while others load it too (seconds, idle machine).
SESSION_SECONDS = 120
PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"


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


def _cli(*args: str, db: str) -> subprocess.Popen[str]:
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
    lite = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        lite.execute("BEGIN IMMEDIATE")
        lite.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # "database is locked": a writer holds it
        return True
    finally:
        lite.close()


def _cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, all its threads), from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _finished(proc: subprocess.Popen[str], *, seconds: float, what: str) -> tuple[str, str]:
    """``proc``'s output once it has exited; fails the test, saying ``what`` it was, if it runs past its time."""
    limit = patience(seconds)
    try:
        return proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{what} still running after {limit:.0f} s")


def _not_ok(results: Sequence[SessionResult]) -> list[str]:
    """What went wrong in each session that did not load (the first three), for a failure message."""
    bad = [f"{r.seconds:.0f} s: {r.exceptions or 'script did not finish'}" for r in results if not r.ok]
    return [f"{len(bad)} of {len(results)} sessions failed", *bad[:3]]


def test_eight_parallel_imports_equal_a_serial_import(tmp_path: Path) -> None:
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
    for f, p in zip(files, procs, strict=True):
        _out, err = _finished(p, seconds=180, what=f"the import of {f.name}")
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


def test_an_import_killed_part_way_leaves_nothing_and_the_rerun_equals_a_clean_import(tmp_path: Path) -> None:
    big = _police_file(tmp_path / "big.csv", 400_000, seed=1)  # its write phase lasts long enough to be caught
    url = store_url(tmp_path / "killed.sqlite")
    Store(url).dispose()  # schema in place, so the only writer is the import
    proc = _cli("import", "incidents", str(big), db=url)
    wait_until(
        lambda: proc.poll() is not None or _writer_active(url),
        seconds=120,
        what="the import to take the write lock",
        every=0.01,
    )
    assert proc.poll() is None, "the import finished before it could be caught in its transaction"
    # part-way through writing: 50 ms of the importer's own CPU time inside its transaction, however busy
    # the machine is (a wall-clock pause could pass while the importer waits for a core)
    inside = _cpu_seconds(proc.pid)
    wait_until(
        lambda: proc.poll() is not None or _cpu_seconds(proc.pid) >= inside + 0.05,
        seconds=60,
        what="the import to work 50 ms of CPU time inside its transaction",
        every=0.01,
    )
    assert proc.poll() is None, "the import finished before it could be killed part-way"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=patience(30))
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
def demo_url(demo_town: str, tmp_path: Path) -> str:
    """A copy of the session's demo town (a file copy, or a database made from it as a template), for writing to."""
    return store_url(tmp_path / "demo.sqlite", template=demo_town)


def _incidents_shown(result: SessionResult) -> int:
    """The sidebar's "N incidents · …" line, as the session received it."""
    line = next(t for t in result.texts if " incidents · " in t)
    return int(line.split(" incidents")[0].replace(",", ""))


@pytest.mark.serial  # restarts the cluster every other test of the pass is using: run on its own
@pytest.mark.skipif(not TEST_SERVER, reason="PostgreSQL only: a SQLite file has no server to restart")
def test_the_dashboard_reconnects_after_the_database_restarts(demo_url: str) -> None:
    data_dir = os.environ.get("NESTWATCH_TEST_PG_DATA")
    if not data_dir:
        pytest.skip("NESTWATCH_TEST_PG_DATA (the cluster's data directory) is not set")
    with AppServer(demo_url, start_timeout=patience(60), stop_timeout=patience(30)) as app:
        before = load_pages(app.base, "patrol", 1, timeout=patience(SESSION_SECONDS))[0]
        assert before.ok, before.exceptions
        log = str(Path(data_dir).parent / "log")  # the server must not inherit our pipes, or run() waits for it
        wait = f"{patience(60):.0f}"  # pg_ctl -w waits this long for the server to stop and start again
        ctl = [PG_CTL, "-D", data_dir, "-l", log, "-m", "fast", "-w", "-t", wait, "restart"]
        if os.getuid() == 0:
            ctl = ["runuser", "-u", "postgres", "--", *ctl]
        subprocess.run(ctl, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=2 * int(wait))
        after = load_pages(app.base, "patrol", 1, timeout=patience(SESSION_SECONDS))[0]
    assert after.ok and not after.errors, after.exceptions + after.errors
    assert _incidents_shown(after) == _incidents_shown(before) == 10_974


def test_twenty_sessions_while_imports_land_each_see_a_whole_state_never_half(demo_url: str, tmp_path: Path) -> None:
    """Imports keep committing (one after another) while 20 sessions load the patrol planner.

    Each session must show the store as it was before or after some import,
    never part-way through one: its incident count is one of the committed totals.
    """
    import threading

    files = [_police_file(tmp_path / f"new{i}.csv", 40_000, seed=10 + i, month=f"2026-0{i + 1}") for i in range(6)]
    store = Store(demo_url)
    totals = [store.count("incidents")]
    store.dispose()
    errors: list[str] = []

    def land_imports() -> None:
        # more of the demo town: real rows would close open mode, and the sessions would see the sign-in refusal
        from geo.store.importer import import_path

        writer = Store(demo_url)
        try:
            for f in files:
                totals.append(totals[-1] + import_path(writer, "incidents", f, synthetic=True).stored)
        except Exception as exc:  # handed to the test thread
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            writer.dispose()

    with AppServer(demo_url, start_timeout=patience(60), stop_timeout=patience(30)) as app:
        # warm first: the waves measure the imports, not start-up
        warm = load_pages(app.base, "patrol", 1, timeout=patience(SESSION_SECONDS))
        assert warm[0].ok, _not_ok(warm)
        writer = threading.Thread(target=land_imports)
        writer.start()
        results: list[SessionResult] = []
        while writer.is_alive() and len(results) < 200:  # waves of 20 sessions for as long as imports land
            results += load_pages(app.base, "patrol", 20, timeout=patience(SESSION_SECONDS))
        writer.join(timeout=patience(6 * 180))
        assert not writer.is_alive(), f"imports still landing after the sessions stopped: {len(totals) - 1} done"
        after = load_pages(app.base, "patrol", 1, timeout=patience(SESSION_SECONDS))[0]
    assert not errors, errors
    assert len(totals) == len(files) + 1 and totals[-1] > totals[0]
    assert results, "no session loaded while the imports landed"
    assert all(r.ok for r in results), _not_ok(results)
    seen = [_incidents_shown(r) for r in results]
    assert set(seen) <= set(totals), f"sessions saw {sorted(set(seen) - set(totals))}, committed totals {totals}"
    assert _incidents_shown(after) == totals[-1]
