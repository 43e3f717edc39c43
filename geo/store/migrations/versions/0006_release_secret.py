"""The release secret: one random value per store, from which every record's perturbation key is derived.

Published figures are protected by cell-key perturbation (issue #19): each
stored record gets a fixed random record key (0..255), derived from its content
key (``k1``, ``k2``) and this secret. The table holds one row, ``id = 1`` (a
CHECK says so), made on first use by ``Store.release_secret`` and never changed:
a new secret would give every cell fresh noise, and two releases with
independent noise can be averaged towards the true counts.

Nothing is backfilled: a store upgraded to this revision has no secret until
the first release asks for one. The table is created here as it is declared
today, not imported from ``geo/store/_tables.py``: a revision is frozen.
Downgrading drops the secret, and with it every record key the store had
published with: downgrades are for testing the upgrade path, never for a live store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_secret",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_release_secret_one_row"),
    )


def downgrade() -> None:
    op.drop_table("release_secret")
