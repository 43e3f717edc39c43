"""Imports can be deleted: the import log keeps the line and says when (``imports.deleted_at``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # stores opened by the build that added deletion before migrations existed already have it
    if "deleted_at" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("imports")}:
        with op.batch_alter_table("imports") as batch:
            batch.add_column(sa.Column("deleted_at", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("deleted_at")
