"""Shared fixtures: throw-away stores, tiny CSV writers, the real-data folder, and patience for a busy machine.

CI runs the suite on two cores that other jobs share, so nothing here may
depend on how fast a step happens to be today. Two things see to that:

* :func:`patience` stretches every bound a test puts on a wait (page loads,
  subprocesses, dashboard sessions) by how busy the machine is; a wait that
  ends on its condition costs nothing extra, so a generous bound is free.
* Hypothesis runs with the ``nestwatch`` settings profile: no per-example
  deadline (a slow example on a loaded machine says nothing about the code:
  ``benchmarks/`` measures speed) and no ``too_slow`` health check. The ``ci``
  profile (``NESTWATCH_HYPOTHESIS_PROFILE=ci``, which ``scripts/test.sh`` sets,
  or any CI that sets ``$CI``) adds ``derandomize=True``: every CI run tries the
  same examples, so a red run is the code, reruns the same, and a failure
  prints its ``@reproduce_failure`` blob. Local runs stay random (and replay
  their own failures from ``.hypothesis/``), which is where new examples are found.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from geo.core.schema import POLICE_UK_HEADER
from geo.store import Store

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
if os.environ.get("NESTWATCH_REAL_DATA"):
    REAL = Path(os.environ["NESTWATCH_REAL_DATA"])

POLICE_HEADER = ",".join(POLICE_UK_HEADER)

settings.register_profile("nestwatch", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
# replaces Hypothesis' own "ci" profile (which it loads by itself when $CI is set) with ours plus derandomize
settings.register_profile("ci", settings.get_profile("nestwatch"), derandomize=True)
settings.load_profile(
    os.environ.get("NESTWATCH_HYPOTHESIS_PROFILE")
    or ("ci" if settings.get_current_profile_name() == "ci" else "nestwatch")
)

#: Multiplies every bound on a wait; raise it (``NESTWATCH_TEST_PATIENCE=3``) on an unusually slow machine.
PATIENCE = float(os.environ.get("NESTWATCH_TEST_PATIENCE", "1"))
#: The most the machine's load stretches a bound: past this a wait is a hang, whatever the load.
MAX_STRETCH = 4.0


def patience(seconds: float) -> float:
    """How long to allow for a step that takes well under ``seconds`` on an idle machine, here and now.

    A bound on a wait turns a hang into a failure; it does not measure speed.
    So it grows with the load (runnable processes per core over the last
    minute, counted from 1 up to :data:`MAX_STRETCH`) and with
    :data:`PATIENCE`, and callers pick ``seconds`` generously.
    """
    busy = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * PATIENCE * min(max(busy, 1.0), MAX_STRETCH)


T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, seconds: float, what: str, every: float = 0.1) -> T:
    """Poll ``condition`` until it returns something truthy, and return that; fail the test after ``seconds``.

    ``seconds`` is stretched by :func:`patience`; ``what`` says what was being
    waited for, which is the first thing a failure on a busy machine needs to say.
    """
    limit = patience(seconds)
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {limit:.0f} s for {what}")
        time.sleep(every)


#: Set (by ``scripts/test.sh --postgres``) to run every store on PostgreSQL: each test gets its own database.
TEST_SERVER = os.environ.get("NESTWATCH_TEST_DATABASE_URL", "")
_CREATED: list[str] = []


def _admin() -> sa.Engine:
    return sa.create_engine(TEST_SERVER.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")


def store_url(path: Path, *, template: str | None = None) -> str:
    """Where a test's store lives: the SQLite file ``path``, or a new database on the test PostgreSQL cluster.

    ``template`` (a URL this function returned) copies that store: a SQLite file
    copy, or ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
    """
    if not TEST_SERVER:
        if template:
            # SQLite's online backup, not a file copy: the store runs in WAL mode, so the main file alone can
            # lack what other connections wrote (audit entries, the release secret, kept study areas)
            import sqlite3

            source = sqlite3.connect(template.removeprefix("sqlite:///"))
            target = sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        return f"sqlite:///{Path(path).resolve()}"
    name = f"t_{path.stem.lower()[:20]}_{uuid.uuid4().hex[:10]}".replace("-", "_")
    engine = _admin()
    with engine.connect() as conn:
        if template:
            source = template.rsplit("/", 1)[1]
            conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}'"))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        else:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    _CREATED.append(name)
    return TEST_SERVER.rsplit("/", 1)[0] + "/" + name


def drop_store(url: str) -> None:
    """Remove a PostgreSQL test database (SQLite files go with tmp_path)."""
    if not url.startswith("postgresql"):
        return
    engine = _admin()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


# --------------------------------------------------------------------------- the PostgreSQL pass runs store tests only

#: What in a test module's or a fixture's source means it can reach the PostgreSQL test cluster: every store
#: a test makes comes from :func:`store_url` (or reads :data:`TEST_SERVER` itself); nothing else does.
_REACHES_SERVER = ("store_url", "TEST_SERVER", "NESTWATCH_TEST_DATABASE_URL")
#: Fixtures every test has that reach the server only to clean up after the run.
_CLEANUP_FIXTURES = frozenset({"_drop_test_databases"})
_SOURCE_REACHES: dict[int, bool] = {}


def _reaches_server(obj: object) -> bool:
    import inspect

    key = id(obj)
    if key not in _SOURCE_REACHES:
        try:
            text = inspect.getsource(obj)  # type: ignore[arg-type]
        except (OSError, TypeError):
            text = ""
        _SOURCE_REACHES[key] = any(word in text for word in _REACHES_SERVER)
    return _SOURCE_REACHES[key]


def _opens_a_test_store(item: pytest.Item) -> bool:
    """True when ``item`` can open a store on the test server: its module or a fixture it uses calls ``store_url``.

    ``fixturenames`` is the test's whole fixture closure, so a fixture built on
    ``store`` or ``demo_town`` counts however deep it sits.
    """
    module = getattr(item, "module", None)
    if module is not None and _reaches_server(module):
        return True
    manager = item.session._fixturemanager
    for name in getattr(item, "fixturenames", ()):
        if name in _CLEANUP_FIXTURES:
            continue
        if any(_reaches_server(d.func) for d in manager.getfixturedefs(name, item) or ()):
            return True
    return False


#: Modules that run a dashboard server or many processes: minutes of the run each, scheduled first.
_LONG_MODULES = ("test_concurrency.py",)


def _is_long(item: pytest.Item) -> bool:
    return item.get_closest_marker("browser") is not None or item.path.name in _LONG_MODULES


def _drives_a_browser(item: pytest.Item) -> bool:
    """True when the test's module imports from Playwright at its top (a module that drives Chromium)."""
    module = getattr(item, "module", None)
    names = vars(module).values() if module is not None else ()
    origins = (str(getattr(v, "__module__", None) or getattr(v, "__name__", "")) for v in names)
    return any(origin.startswith("playwright") for origin in origins)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects: a browser module forgetting its mark is still one
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of a module that uses Playwright ``browser``; on the PostgreSQL pass, leave out the tests
    that never open a store there (they ran, the same, on SQLite).

    A test that never calls :func:`store_url` (directly, in its module, or
    through a fixture) uses no store or a SQLite file it names itself, so the
    second pass would repeat it byte for byte: about two thirds of the suite
    (parsers, statistics, architecture, the disclosure attack) at no gain.
    ``NESTWATCH_PG_EVERY_TEST=1`` runs them all anyway.
    """
    for item in items:
        if item.get_closest_marker("browser") is None and _drives_a_browser(item):
            item.add_marker(pytest.mark.browser)
    # the longest modules first (a browser's server and sessions, the concurrency runs), so that with two
    # workers (pytest-xdist, --dist loadscope) they run beside the many short ones rather than after them;
    # a stable sort keeps each module's own order, and every worker computes the same one
    items.sort(key=lambda item: 0 if _is_long(item) else 1)
    if not TEST_SERVER or os.environ.get("NESTWATCH_PG_EVERY_TEST"):
        return
    keep, drop = [], []
    for item in items:
        (keep if _opens_a_test_store(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    for name in _CREATED:
        drop_store(f"{TEST_SERVER.rsplit('/', 1)[0]}/{name}")


def real_file(name: str) -> Path:
    """Path of a file in ../shared/data/real, or skip the test when it is absent."""
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture(scope="session")
def demo_town(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The synthetic demo town's store, loaded once per test run; its URL.

    For tests that read it (audit entries aside). A test that changes data
    copies it first: ``store_url(tmp_path / "copy.sqlite", template=demo_town)``.
    """
    from geo.demo import load_demo

    url = store_url(tmp_path_factory.mktemp("demo_town") / "demo.sqlite")
    store = Store(url)
    load_demo(store)
    store.dispose()
    return url


@pytest.fixture(scope="session")
def release(demo_town: str):
    """The demo store's protected release (:func:`geo.publish.release.release_for`), made once per run.

    Made here on its own, beside any the pages make: the same data gives the same release.
    """
    from geo.publish.release import release_for

    store = Store(demo_town)
    try:
        return release_for(store)
    finally:
        store.dispose()


@pytest.fixture(scope="session")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A new store (every migration applied, nothing written), made once per run: its URL.

    Each test's ``store`` is a copy of it (a file copy, or ``CREATE DATABASE … TEMPLATE``),
    the same store a test would get by opening a new one, without running every migration
    again (~0.25 s a test on SQLite, ~1 s on PostgreSQL).
    """
    url = store_url(tmp_path_factory.mktemp("new_store") / "new.sqlite")
    s = Store(url)
    with s.engine.connect() as conn:  # nothing per-store (a release secret, an entry) for the copies to share
        written = {
            name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for name, t in s.tables.items()
        }
    s.dispose()
    assert not any(written.values()), written
    return url


@pytest.fixture
def store(tmp_path: Path, new_store: str) -> Iterator[Store]:
    url = store_url(tmp_path / "test.sqlite", template=new_store)
    s = Store(url)
    yield s
    s.dispose()
    drop_store(url)


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write


def police_row(
    *,
    crime_id: str = "",
    month: str = "2024-01",
    lng: str = "-2.590000",
    lat: str = "51.450000",
    location: str = "On or near Park Street",
    lsoa: str = "E01014540",
    category: str = "Anti-social behaviour",
    outcome: str = "",
) -> str:
    """One police.uk street-level row (Bristol by default)."""
    return ",".join(
        [
            crime_id,
            month,
            "Avon and Somerset Constabulary",
            "Avon and Somerset Constabulary",
            lng,
            lat,
            f'"{location}"',
            lsoa,
            "Bristol 032B",
            category,
            outcome,
            "",
        ]
    )


#: One ward, as ONS publishes them (a 0.01° square in Bristol).
ONE_WARD = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"WD23CD": "E05000001", "WD23NM": "Park"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[-2.6, 51.44], [-2.58, 51.44], [-2.58, 51.46], [-2.6, 51.46], [-2.6, 51.44]]],
            },
        }
    ],
}


def police_csv(*rows: str, eol: str = "\r\n") -> str:
    return eol.join([POLICE_HEADER, *rows]) + eol


def cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m geo ARGS --db DB`` as cron would: a real subprocess from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "geo", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def messy_police_csv(copies: int = 3) -> str:
    """police.uk rows with every kind of trouble (and some repeats), for comparing code paths."""
    rows = [
        police_row(),
        police_row(),  # identical: a separate incident, kept
        police_row(crime_id="c1", category="Drugs", outcome="Under investigation"),
        police_row(crime_id="c1", category="Drugs", outcome="Charged"),  # same ref, other content
        police_row(crime_id="c2", category="Robbery"),
        police_row(crime_id="c2", category="Robbery"),  # same ref, same content
        police_row(crime_id="007", lsoa="007", location="NA"),
        police_row(crime_id="NA", category="asb"),
        police_row(lng="", lat=""),
        police_row(lat="north"),
        police_row(lng="east"),
        police_row(lng="0", lat="0"),
        police_row(lng="2.35", lat="48.85"),
        police_row(lng="51.45", lat="-2.59"),
        police_row(lng="358000", lat="173000"),
        police_row(lat="inf"),
        police_row(lat="1e1"),
        police_row(lng=" -2.5 ", lat=" 51.5"),
        police_row(lng="-0.0", lat="-0.0"),
        police_row(month="2024-13"),
        police_row(month=""),
        police_row(month="2024-03-05"),
        police_row(month="05/03/2024"),
        police_row(month=" 2024-02 "),
        police_row(category="Loitering"),
        police_row(category=""),
        police_row(category="  anti-social BEHAVIOUR "),
        police_row(location='He said ""hi"", \\ back, and left'),
        police_row(location="Café – ünïcode"),
        police_row(location="  padded  ", lsoa=" E01014540 "),
        police_row(outcome="Investigation complete; no suspect identified"),
    ]
    out = []
    for i in range(copies):
        out += [r.replace("2024-", f"{2020 + i}-", 1) if i and "2024-13" not in r else r for r in rows]
    return police_csv(*out)


def count_calls(
    monkeypatch: pytest.MonkeyPatch, module: object, *names: str, into: dict[str, int] | None = None
) -> dict[str, int]:
    """Count the calls of ``module``'s functions ``names`` in a dict (``into``, to count two modules in one)."""
    calls = into if into is not None else {}
    calls.update(dict.fromkeys(names, 0))
    for name in names:
        original = getattr(module, name)

        def counted(
            *args: object, _name: str = name, _original: Callable[..., object] = original, **kwargs: object
        ) -> object:
            calls[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls
