"""The store's schema, declared once: a table per kind, the import log, the quarantine, the audit log, the secret.

Kept apart from :mod:`geo.store._store` because three kinds of code need the schema
without the store's behaviour: the store itself, :mod:`geo.store.backup` (which
copies every table by name) and the test that compares :data:`METADATA` with
what the Alembic revisions build. The revisions in ``geo/store/migrations/versions``
are frozen and deliberately do not import this module: a release's schema must
not change when this declaration does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from geo.core.schema import BOUNDARY_KINDS, KINDS

#: Kinds kept as column segments (see :mod:`geo.store._segments`) rather than table rows.
SEGMENT_KINDS = ("incidents",)
SEGMENT_TABLE = "incident_segments"
#: The quarantine, also in segments: a force-year can reject tens of thousands of rows.
REJECT_TABLE = "reject_segments"
#: Who consulted, disclosed, imported or erased what (see :mod:`geo.store.audit`).
AUDIT_TABLE = "audit"
AUDIT_COLUMNS = ("id", "at", "user", "role", "action", "target", "rows", "reason", "detail")
#: The hash chain beside each entry (revision 0005), filled in by :func:`geo.store.audit.chain_link`.
AUDIT_CHAIN = ("prev_hash", "entry_hash")
#: The store's one release secret (revision 0006), from which every record's perturbation key is derived.
SECRET_TABLE = "release_secret"
#: The only id the secret's row may have: a fixed key is what makes two first calls end with one secret.
SECRET_ID = 1
#: Results computed from stored rows (revision 0007), by a key hashed from what they came from.
DERIVED_TABLE = "derived"
#: Saved week plans and their slots (revision 0009): what a patrol plan asked for, to set delivery against.
PLAN_TABLE = "plans"
PLAN_SLOT_TABLE = "plan_slots"
#: Check-in presses (revision 0009), beside the pings each stored (a ``patrols`` import of its own).
CHECKIN_TABLE = "checkins"
#: What a person decided about an address the early-warning queue raised (revision 0010; geo.store.review).
REVIEW_TABLE = "review_decisions"

#: The SQL type of each ``Column.dtype`` (a type class, or an instance where it takes a length).
_SQL_TYPES: dict[str, type[sa.types.TypeEngine[Any]] | sa.types.TypeEngine[Any]] = {
    "str": sa.Text,
    "float": sa.Float,
    "int": sa.Integer,
    "month": sa.String(7),
    "date": sa.String(10),
    "instant": sa.String(27),  # geo.core.schema.INSTANT_FORMAT: UTC, to the microsecond, one width
    "geometry": sa.LargeBinary,
}


def _chained(column: str) -> Callable[[Any], str]:
    """The default of an audit hash column: :func:`geo.store.audit.chain_link` for that column."""

    def default(context: Any) -> str:  # one argument: SQLAlchemy passes the INSERT's execution context
        from geo.store.audit import chain_link  # here, not at the top: geo.store.audit imports this module

        return chain_link(context, column)

    return default


def build_metadata() -> sa.MetaData:
    """Tables for every kind, the import log, the quarantine, the audit log and the release secret."""
    md = sa.MetaData()
    sa.Table(
        "imports",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.String(32), nullable=False),
        sa.Column("source_format", sa.String(20), nullable=False, default=""),
        sa.Column("rows", sa.Integer, nullable=False, default=0),
        sa.Column("stored", sa.Integer, nullable=False, default=0),
        sa.Column("rejected", sa.Integer, nullable=False, default=0),
        sa.Column("already_present", sa.Integer, nullable=False, default=0),
        sa.Column("notes", sa.Text, nullable=False, default="[]"),
        # set when the import's rows were erased (the log line stays, so the history does)
        sa.Column("deleted_at", sa.String(32), nullable=True),
        # true only for the synthetic demo town, written by geo.demo.load_demo (revision 0004); never
        # inferred from a file name, so open mode and the demo banner cannot be had by naming a file
        sa.Column("synthetic", sa.Boolean, nullable=False, default=False, server_default=sa.false()),
    )
    sa.Table(
        SEGMENT_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("month_min", sa.String(7), nullable=False),
        sa.Column("month_max", sa.String(7), nullable=False),
        sa.Column("keys", sa.LargeBinary, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    for kind in KINDS.values():
        if kind.name in SEGMENT_KINDS:
            continue
        cols: list[Any] = [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
            sa.Column("src_row", sa.Integer, nullable=False),
            sa.Column("k1", sa.BigInteger, nullable=False),
            sa.Column("k2", sa.BigInteger, nullable=False),
        ]
        for c in kind.columns:
            cols.append(sa.Column(c.name, _SQL_TYPES[c.dtype], nullable=c.dtype in ("float", "geometry")))
        if kind.name in BOUNDARY_KINDS:
            cols += [sa.Column(b, sa.Float) for b in ("minx", "miny", "maxx", "maxy")]
        t = sa.Table(kind.table, md, *cols, sa.UniqueConstraint("k1", "k2", name=f"uq_{kind.table}_key"))
        if kind.ref_column:
            sa.Index(f"ix_{kind.table}_{kind.ref_column}", t.c[kind.ref_column])
        elif kind.key_columns:  # what a clash with a stored row is looked up by (revision 0008), as a ref is
            sa.Index(f"ix_{kind.table}_{'_'.join(kind.key_columns)}", *(t.c[c] for c in kind.key_columns))
        if kind.name == "incidents":
            sa.Index("ix_incidents_month_category", t.c.month, t.c.category)
        if kind.name == "signals":  # the review queue reads signals by date (geo.plan.review)
            sa.Index("ix_signals_date", t.c.date)
        if kind.name == "patrols":  # pings are read by days (geo.store.patrols.read_pings)
            sa.Index("ix_patrols_time", t.c.time)
    sa.Table(
        REJECT_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("keys", sa.LargeBinary, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    sa.Table(  # DPA 2018 s.62 log, append-only: written by geo.store.audit.record, never updated or deleted
        AUDIT_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False, index=True),
        sa.Column("user", sa.Text, nullable=False, index=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False, default=""),
        sa.Column("detail", sa.Text, nullable=False, default="{}"),
        # the hash chain: defaults, so every INSERT that does not bring its own (a restore does) is chained
        sa.Column("prev_hash", sa.String(64), nullable=False, default=_chained("prev_hash")),
        sa.Column("entry_hash", sa.String(64), nullable=False, default=_chained("entry_hash")),
        sa.UniqueConstraint("prev_hash", name="uq_audit_prev_hash"),  # no two entries after the same one
    )
    sa.Table(  # one row, made on first use by Store.release_secret and never changed (revision 0006)
        SECRET_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("secret", sa.String(64), nullable=False),  # 32 random bytes as 64 hex digits
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.CheckConstraint(f"id = {SECRET_ID}", name="ck_release_secret_one_row"),
    )
    sa.Table(  # derived data (study areas, weights) under a content key; never a record (revision 0007)
        DERIVED_TABLE,
        md,
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("used_at", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    _plan_tables(md)
    sa.Table(
        REVIEW_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.Text, nullable=False, index=True),  # the queue's address key (uprn:… or ref:…)
        sa.Column("action", sa.String(12), nullable=False),  # dismissed | booked | flagged
        sa.Column("at", sa.String(27), nullable=False),  # INSTANT_FORMAT (UTC)
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("through", sa.String(10), nullable=False),  # the newest signal's date the decision saw
        sa.Column("flagged_ref", sa.Text, nullable=False, default=""),
    )
    return md


def _plan_tables(md: sa.MetaData) -> None:
    """Saved week plans, their slots and check-in presses (revision 0009; see :mod:`geo.store.patrols`)."""
    sa.Table(
        PLAN_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("week", sa.String(10), nullable=False, index=True),  # the Monday, YYYY-MM-DD
        sa.Column("saved_at", sa.String(32), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("options", sa.Text, nullable=False, default="{}"),  # JSON: how the plan was made
        sa.Column("slots", sa.Integer, nullable=False),
    )
    sa.Table(
        PLAN_SLOT_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey(f"{PLAN_TABLE}.id"), nullable=False, index=True),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("team", sa.Text, nullable=False),
        sa.Column("order", sa.Integer, nullable=False),
        sa.Column("cell", sa.BigInteger, nullable=False),
        sa.Column("res", sa.Integer, nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("ward", sa.Text, nullable=False),
        sa.Column("start", sa.String(27), nullable=False, index=True),  # INSTANT_FORMAT (UTC)
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    sa.Table(
        CHECKIN_TABLE,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False, index=True),
        sa.Column("unit", sa.Text, nullable=False, index=True),
        sa.Column("cell", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(10), nullable=False),  # arrived | left
        sa.Column("at", sa.String(27), nullable=False),  # INSTANT_FORMAT (UTC)
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lng", sa.Float, nullable=False),
        sa.Column("user", sa.Text, nullable=False),
    )


METADATA = build_metadata()
