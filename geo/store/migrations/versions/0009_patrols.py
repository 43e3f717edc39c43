"""Patrols: where patrols were (``patrols`` pings), the homes around an address (``properties``), saved week
plans and their slots, and check-in presses.

``patrols`` holds one row per ping (unit, time, lat, lng, source) with the
columns every kind kept as rows has; its ``time`` is UTC text of one width
(``2024-05-01T09:00:00.000000Z``), so text order is time order and the value
round-trips exactly on SQLite and PostgreSQL alike. A ping is named by its
unit and time (index ``ix_patrols_unit_time``, looked up by every import as a
ref is); pings are read by days (``ix_patrols_time``).

``properties`` holds homes by ref (index as every ref has), UPRNs as text.

``plans`` is one saved week plan each (the newest saved for a week is the
plan), ``plan_slots`` its visits (``start`` UTC text as above, indexed: slots
are read by days), ``checkins`` each "arrived"/"left" press with the import
that stored its pings.

A store upgraded to this revision simply holds none of these yet, and a
backup written before it restores with none. The tables are created here as
they are declared today, not imported from ``geo/store/_tables.py``: a
revision is frozen.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
        "patrols",
        *_row_columns(),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("time", sa.String(27), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_patrols_key"),
    )
    op.create_index(op.f("ix_patrols_import_id"), "patrols", ["import_id"], unique=False)
    op.create_index("ix_patrols_unit_time", "patrols", ["unit", "time"], unique=False)
    op.create_index("ix_patrols_time", "patrols", ["time"], unique=False)
    op.create_table(
        "properties",
        *_row_columns(),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("uprn", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("landlord", sa.Text(), nullable=False),
        sa.Column("block", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_properties_key"),
    )
    op.create_index(op.f("ix_properties_import_id"), "properties", ["import_id"], unique=False)
    op.create_index("ix_properties_ref", "properties", ["ref"], unique=False)
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("saved_at", sa.String(32), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_plans_week"), "plans", ["week"], unique=False)
    op.create_table(
        "plan_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("team", sa.Text(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("res", sa.Integer(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("ward", sa.Text(), nullable=False),
        sa.Column("start", sa.String(27), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_plan_slots_plan_id"), "plan_slots", ["plan_id"], unique=False)
    op.create_index(op.f("ix_plan_slots_start"), "plan_slots", ["start"], unique=False)
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("at", sa.String(27), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_checkins_import_id"), "checkins", ["import_id"], unique=False)
    op.create_index(op.f("ix_checkins_unit"), "checkins", ["unit"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("checkins", ("ix_checkins_unit", "ix_checkins_import_id")),
        ("plan_slots", ("ix_plan_slots_start", "ix_plan_slots_plan_id")),
        ("plans", ("ix_plans_week",)),
        ("properties", ("ix_properties_ref", "ix_properties_import_id")),
        ("patrols", ("ix_patrols_time", "ix_patrols_unit_time", "ix_patrols_import_id")),
    ):
        for index in indexes:
            op.drop_index(index, table_name=table)
        op.drop_table(table)
