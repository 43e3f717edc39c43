"""Early warning: what partners notice at an address (``signals``), which group or county line a case record
is linked to (``lines``, police intelligence), and what a person decided about an address the review queue
raised (``review_decisions``).

``signals`` holds one row per event (ref, address, uprn, lat, lng, date, signal, source, event) with the
columns every kind kept as rows has; an event is named by its key columns (index
``ix_signals_ref_uprn_date_signal_source_event``, looked up by every import as a ref is) and read by date
(``ix_signals_date``). ``lines`` holds one row per link (line, record, ref, address, lat, lng, date), named
by record, ref and line. ``review_decisions`` keeps each dismissal, booked joint visit and flag, with who,
when, why and the newest signal it saw (a dismissed address comes back with a newer one).

A store upgraded to this revision simply holds none of these yet, and a backup written before it restores
with none. The tables are created here as they are declared today, not imported from
``geo/store/_tables.py``: a revision is frozen.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _row_columns() -> list[sa.Column]:
    """The columns every kind kept as rows starts with (its import, source row and content key)."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "signals",
        *_row_columns(),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("uprn", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("signal", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_signals_key"),
    )
    op.create_index(op.f("ix_signals_import_id"), "signals", ["import_id"], unique=False)
    op.create_index(
        "ix_signals_ref_uprn_date_signal_source_event",
        "signals",
        ["ref", "uprn", "date", "signal", "source", "event"],
        unique=False,
    )
    op.create_index("ix_signals_date", "signals", ["date"], unique=False)
    op.create_table(
        "lines",
        *_row_columns(),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("date", sa.String(10), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_lines_key"),
    )
    op.create_index(op.f("ix_lines_import_id"), "lines", ["import_id"], unique=False)
    op.create_index("ix_lines_record_ref_line", "lines", ["record", "ref", "line"], unique=False)
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("through", sa.String(10), nullable=False),
        sa.Column("flagged_ref", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_review_decisions_address"), "review_decisions", ["address"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("review_decisions", ("ix_review_decisions_address",)),
        ("lines", ("ix_lines_record_ref_line", "ix_lines_import_id")),
        ("signals", ("ix_signals_date", "ix_signals_ref_uprn_date_signal_source_event", "ix_signals_import_id")),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
