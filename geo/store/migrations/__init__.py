"""Schema migrations (Alembic): every store is brought to :data:`HEAD` when it is opened.

A store made by an older Nestwatch upgrades in place, in one transaction, by
the revisions in ``versions/`` (never edited once released). Several processes
opening the same store at once (parallel imports, dashboard workers) are
serialised by a lock taken *before* the version is read, so exactly one of
them migrates and the others find the work done: a PostgreSQL advisory lock,
or SQLite's write lock (``BEGIN IMMEDIATE``).

``python -m geo migrate`` runs the same upgrade and says what it did.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from geo.core.errors import StoreError

#: The newest revision; a test checks it against ``versions/``.
HEAD = "0010"
_LOCK = 0x4E455354  # "NEST": the advisory-lock key, any constant shared by all processes
_HERE = Path(__file__).resolve().parent


def _config(connection: Connection | None) -> Config:
    """Alembic's configuration; ``connection`` None when only the scripts are read, not a store."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def script_head() -> str:
    """The head revision as Alembic reads it from ``versions/``."""
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    if head is None:  # only a broken install: the revisions ship with the package
        raise StoreError(f"no schema revisions found in {_HERE / 'versions'}")
    return head


def revisions() -> set[str]:
    """Every revision in ``versions/`` (a backup from any of them restores into this schema)."""
    return {r.revision for r in ScriptDirectory.from_config(_config(None)).walk_revisions()}


def current(connection: Connection) -> str | None:
    """The store's revision (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the store to ``revision``; return its revision (before, after).

    A store made before migrations existed (tables, no version) is taken as the
    baseline ``0001``: its schema is that revision's by construction.
    """
    with engine.connect() as conn:
        if revision == "head" and current(conn) == HEAD:  # the common case: one cheap query, no lock
            return HEAD, HEAD
    with engine.connect() as conn:
        _lock(conn)
        before = current(conn)
        if before is None and sa.inspect(conn).has_table("imports"):
            command.stamp(_config(conn), "0001")
        command.upgrade(_config(conn), revision)
        after = current(conn)
        conn.commit()
    return before, after


def downgrade(engine: Engine, revision: str) -> None:
    """Take the store back to ``revision`` (tests of the upgrade path; not for production data)."""
    with engine.connect() as conn:
        _lock(conn)
        command.downgrade(_config(conn), revision)
        conn.commit()
