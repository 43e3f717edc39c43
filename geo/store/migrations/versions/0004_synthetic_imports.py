"""The import log says which imports are the synthetic demo town (``imports.synthetic``).

Written ``true`` only by :func:`geo.demo.load_demo` (through the importer's
keyword-only ``synthetic`` argument), never inferred from a file name: a real
upload named like a demo file is still real, and the dashboard's open mode and
"synthetic demo data" banner follow this flag over live imports.

There is deliberately no backfill from file names: every import in a store made
before this revision counts as real (``false``). That fails closed: an old demo
store loses its banner and its open mode (sign-in is then needed, or
``python -m geo demo --remove`` cannot find the demo and the store is rebuilt
with ``python -m geo demo`` on a fresh file), whereas guessing from names would
let a real file called ``demo_wards.geojson`` open a real store to anyone.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (SQLite allows it with a constant default): a batch operation would rebuild the
    # table, and dropping the old ``imports`` fails on the foreign keys every other table holds to it
    op.add_column("imports", sa.Column("synthetic", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("synthetic")
