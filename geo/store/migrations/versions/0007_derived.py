"""Derived data: results computed from stored rows, kept so that every process reuses them.

The study area (the hexagons over the wards and estates, with each one's ward
and estate) and its spatial weights take seconds to compute on a force and
tens of seconds nationally, and every command and every dashboard process
used to compute them again. They depend only on the boundaries and the
resolution, so they are kept here under a key that is a hash of exactly what
they were computed from (:mod:`geo.plan._derived`): an entry can never be
stale, only unused, and the oldest unused ones are pruned. Nothing in this
table is a record: it holds no personal data, backups leave it out (it is
rebuilt on first use) and deleting every row loses nothing.

The table is created here as it is declared today, not imported from
``geo/store/_tables.py``: a revision is frozen.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("used_at", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("derived")
