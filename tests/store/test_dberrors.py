"""A store that cannot be written says so in one plain line, with no SQL, and keeps nothing half-stored.

Reproduced the ways a user meets them: a read-only store file (made immutable
with ``chattr +i`` where root ignores file modes, else ``chmod 444``), a
connection that may only read (SQLite's ``PRAGMA query_only``, PostgreSQL's
``default_transaction_read_only``), and a full disk (SQLite's ``PRAGMA
max_page_count``: SQLITE_FULL, exactly what a full file system returns).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from geo.core.errors import StoreError
from geo.store import Store
from geo.store._dberrors import FAILURES, failure_of, translate
from geo.store.importer import import_path
from tests.conftest import TEST_SERVER, police_csv, police_row

READ_ONLY = "the store is read-only: {} cannot be written (check the file's and its folder's permissions, the disk it is on, or the database user's rights); nothing was stored or changed"  # noqa: E501
DISK_FULL = "the disk is full: {} could not be written; nothing was stored or changed. Free some space and try again"


def error(**attrs):
    return type("DriverError", (Exception,), {})() if not attrs else SimpleNamespace(**attrs)


@pytest.mark.parametrize(
    ("attrs", "starts"),
    [
        ({"sqlite_errorcode": 8}, "the store is read-only"),  # SQLITE_READONLY
        ({"sqlite_errorcode": 8 | (1 << 8)}, "the store is read-only"),  # SQLITE_READONLY_RECOVERY
        ({"sqlite_errorcode": 13}, "the disk is full"),
        ({"sqlite_errorcode": 5}, "the store {store} is busy"),
        ({"sqlite_errorcode": 26}, "the store {store} is damaged"),
        ({"sqlstate": "25006"}, "the store is read-only"),
        ({"sqlstate": "53100"}, "the disk is full"),
        ({"sqlstate": "53200"}, "the database ran out of memory"),
        ({"sqlstate": "57P01"}, "the database server for {store} stopped the work"),
        ({"sqlstate": "08006"}, "cannot reach the database server"),
        ({"diag": SimpleNamespace(sqlstate="53100")}, "the disk is full"),
    ],
)
def test_each_driver_code_is_its_failure(attrs, starts):
    failure = failure_of(error(**attrs))
    assert failure is not None and failure.message.startswith(starts)


@pytest.mark.parametrize(
    "attrs",
    [
        {"sqlite_errorcode": 19},  # SQLITE_CONSTRAINT: a bug, not the surroundings
        {"sqlite_errorcode": 1},  # SQLITE_ERROR (a bad statement)
        {"sqlstate": "23505"},  # unique_violation
        {"sqlstate": "42P01"},  # undefined_table
        {},
    ],
)
def test_a_bug_is_left_as_it_is(attrs):
    assert failure_of(error(**attrs)) is None


def test_no_failure_message_holds_a_placeholder_other_than_the_store():
    for f in FAILURES:
        assert f.message.format(store="S") and "{" not in f.message.format(store="S")


def test_a_pre_ping_is_never_translated():
    context = SimpleNamespace(is_pre_ping=True, original_exception=error(sqlstate="08006"), engine=None)
    assert translate(context) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------- real stores


def sqlite_only(store: Store) -> Path:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite file")
    return Path(store.engine.url.database or "")


@contextlib.contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """The file as a user meets it read-only: immutable for root (who ignores modes), mode 0444 otherwise."""
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], check=False).returncode:
            pytest.skip("root, and this file system cannot make a file immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


def first_import(store: Store, write) -> dict[str, int]:
    import_path(store, "incidents", write("a.csv", police_csv(police_row(crime_id="a"))))
    store.dispose()  # the WAL is folded into the file: what is left is the store as a user has it
    return store.counts()


def assert_refused(store: Store, write, message: str, before: dict[str, int]) -> None:
    path = write("b.csv", police_csv(police_row(crime_id="b"), police_row(crime_id="c")))
    with pytest.raises(StoreError) as caught:
        import_path(store, "incidents", path)
    assert str(caught.value) == message
    assert "INSERT" not in str(caught.value) and "[SQL" not in str(caught.value)
    assert Store(store.url).counts() == before  # nothing half-stored


def test_a_read_only_store_file(store, write):
    db = sqlite_only(store)
    before = first_import(store, write)
    with read_only_file(db):
        reopened = Store(store.url)  # opening only reads: fine
        assert_refused(reopened, write, READ_ONLY.format(db), before)
        reopened.dispose()


def test_a_connection_that_may_only_read(store, write):
    """SQLite's query_only is how a read-only replica or mount answers: SQLITE_READONLY."""
    db = sqlite_only(store)
    before = first_import(store, write)
    sa.event.listen(store.engine, "connect", lambda conn, _r: conn.execute("PRAGMA query_only=ON"))
    store.dispose()  # every connection from now on may only read
    assert_refused(store, write, READ_ONLY.format(db), before)


def test_a_full_disk(store, write):
    db = sqlite_only(store)
    before = first_import(store, write)
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    sa.event.listen(store.engine, "connect", lambda conn, _r: conn.execute(f"PRAGMA max_page_count={pages}"))
    store.dispose()
    # some 2 MB of segments that do not compress (the spare room in the file's pages holds a few thousand rows)
    rows = [police_row(crime_id=f"{i:064x}", location=f"On or near street {i}") for i in range(30_000)]
    with pytest.raises(StoreError) as caught:
        import_path(store, "incidents", write("big.csv", police_csv(*rows)))
    assert str(caught.value) == DISK_FULL.format(db)
    store.dispose()
    assert Store(store.url).counts() == before


@pytest.mark.skipif(not TEST_SERVER, reason="PostgreSQL: NESTWATCH_TEST_DATABASE_URL")
def test_a_read_only_postgresql_database(store, write):
    before = first_import(store, write)
    database = store.engine.url.database
    with sa.create_engine(store.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT").connect() as admin:
        admin.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    store.dispose()
    url = store.engine.url
    assert_refused(store, write, READ_ONLY.format(f"{url.host}:{url.port}/{database}"), before)


def test_a_store_that_cannot_be_reached_is_named_without_its_password():
    with pytest.raises(StoreError) as caught:
        Store("postgresql+psycopg://nestwatch:s3cret@127.0.0.1:1/nestwatch")
    message = str(caught.value)
    assert message.startswith("cannot open store 'postgresql+psycopg://nestwatch:***@127.0.0.1:1/nestwatch': ")
    assert "s3cret" not in message and "[SQL" not in message
