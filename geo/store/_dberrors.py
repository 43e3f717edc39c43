"""Database failures a person can fix, said in plain words: the store's ``handle_error`` translation.

Why a module of its own: SQLAlchemy wraps every driver error in an exception
whose text carries the SQL statement and its parameters (rows of the file
being imported, which may be personal data), and a read-only file or a full
disk then reads like a bug. The store registers :func:`translate` for its
engine's ``handle_error`` event; every failure caused by where the store
lives (read-only, disk full, out of memory, busy, damaged, unreachable)
becomes a :class:`~geo.core.errors.StoreError` with one line that names the
store and says what to do, and no SQL. Nothing is half-stored: the event
fires inside the import's transaction, which the error then rolls back.

The failures are data (:data:`FAILURES`): SQLite's primary result codes and
PostgreSQL's SQLSTATE codes (or their two-character classes) for each. An
error not listed is left as it was (a bug: the CLI prints it without its SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import ExceptionContext

from geo.core.errors import StoreError

__all__ = ["FAILURES", "Failure", "failure_of", "translate"]


@dataclass(frozen=True)
class Failure:
    """One way the store's surroundings fail, as each driver reports it, and the line a person reads.

    ``message`` may use ``{store}``: the file (SQLite) or ``host/database``
    (PostgreSQL), never a password.
    """

    message: str
    sqlite: tuple[int, ...] = ()
    sqlstate: tuple[str, ...] = ()


NOTHING_STORED = "nothing was stored or changed"

#: In the order they are tried; a SQLSTATE entry of two characters matches its whole class.
FAILURES: tuple[Failure, ...] = (
    Failure(
        "the store is read-only: {store} cannot be written (check the file's and its folder's permissions, "
        f"the disk it is on, or the database user's rights); {NOTHING_STORED}",
        sqlite=(8,),  # SQLITE_READONLY
        sqlstate=("25006",),  # read_only_sql_transaction (a read-only database or hot standby)
    ),
    Failure(
        f"the disk is full: {{store}} could not be written; {NOTHING_STORED}. Free some space and try again",
        sqlite=(13,),  # SQLITE_FULL (also PRAGMA max_page_count reached)
        sqlstate=("53100",),  # disk_full
    ),
    Failure(
        f"the database ran out of memory working on {{store}}; {NOTHING_STORED}",
        sqlite=(7,),  # SQLITE_NOMEM
        sqlstate=("53200",),  # out_of_memory
    ),
    Failure(
        f"the store {{store}} is busy: another import or deletion held it too long; {NOTHING_STORED}. Try again",
        sqlite=(5, 6),  # SQLITE_BUSY, SQLITE_LOCKED
        sqlstate=("55P03", "40P01", "40001"),  # lock_not_available, deadlock_detected, serialization_failure
    ),
    Failure(
        "the store {store} is damaged or is not a Nestwatch store: restore it from a backup (python -m geo import-all)",
        sqlite=(11, 26),  # SQLITE_CORRUPT, SQLITE_NOTADB
        sqlstate=("XX001", "XX002"),  # data_corrupted, index_corrupted
    ),
    Failure(
        f"the disk holding {{store}} could not be read or written (an I/O error): check the disk; {NOTHING_STORED}",
        sqlite=(10,),  # SQLITE_IOERR
        sqlstate=("58030",),  # io_error
    ),
    Failure(
        "cannot open the store {store}: its folder is missing, or this user may not create files in it",
        sqlite=(14,),  # SQLITE_CANTOPEN
    ),
    Failure(
        f"permission denied: the database user may not do this in {{store}}; {NOTHING_STORED}",
        sqlite=(3, 23),  # SQLITE_PERM, SQLITE_AUTH
        sqlstate=("42501", "28"),  # insufficient_privilege, invalid authorisation (wrong password...)
    ),
    Failure(
        "the database server for {store} has no connection free: try again later",
        sqlstate=("53300",),  # too_many_connections
    ),
    Failure(
        f"the database server for {{store}} stopped the work (shut down, restarted or cancelled it); {NOTHING_STORED}",
        sqlstate=("57",),  # operator_intervention: admin_shutdown, cannot_connect_now, query_canceled...
    ),
    Failure(
        "cannot reach the database server for {store}: check that it is running and the URL is right",
        sqlstate=("08",),  # connection_exception
    ),
)


def failure_of(error: BaseException) -> Failure | None:
    """The :class:`Failure` a driver's exception is, or None when it is none of them (a bug).

    Read from the exception itself, whichever driver raised it: ``sqlite3``
    puts the result code in ``sqlite_errorcode`` (extended codes carry the
    primary one in their low byte), ``psycopg`` the SQLSTATE in ``sqlstate``.
    """
    code = getattr(error, "sqlite_errorcode", None)
    state = getattr(error, "sqlstate", None) or getattr(getattr(error, "diag", None), "sqlstate", None)
    if isinstance(code, int):
        primary = code & 0xFF
        return next((f for f in FAILURES if primary in f.sqlite), None)
    if isinstance(state, str) and state:
        return next((f for f in FAILURES if state in f.sqlstate or state[:2] in f.sqlstate), None)
    return None


def translate(context: ExceptionContext) -> None:
    """The engine's ``handle_error`` listener: raise a :class:`StoreError` for a known failure.

    A connection pool's pre-ping is left alone (its failure only means a
    fresh connection is taken), as is every error that is not a known failure.
    """
    if context.is_pre_ping:
        return
    failure = failure_of(context.original_exception)
    if failure is None:
        return
    raise StoreError(failure.message.format(store=_where(context)))


def _where(context: ExceptionContext) -> str:
    """The store as its administrator knows it: the SQLite file, or ``host:port/database``."""
    engine: Any = context.engine
    if engine is None:
        return "the store"
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = str(url.database or "")
        return database.removeprefix("file:").split("?", 1)[0] or "the in-memory store"
    host = f"{url.host or 'localhost'}{f':{url.port}' if url.port else ''}"
    return f"{host}/{url.database or ''}"
