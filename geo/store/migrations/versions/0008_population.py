"""Residents per ward and year (the ``population`` kind): the denominators of rates per 1,000 residents.

One row per area code and mid-year, as ONS publishes its estimates, with the
columns every kind kept as rows has (its import, its source row, its content
key, unique). A store upgraded to this revision simply holds no population
yet, and a backup written before it restores with none.

Kinds without refs are now named by their key columns (a population's code
and year; a victim count's area, month and agency), and an import looks each
new row's up among the stored rows to refuse a second, different number for
the same thing: both tables get an index on those columns, as every ref
column has one (without it, the look-up of 9,000 wards against 27,000 stored
rows took 80 s on SQLite; with it, well under a second).

The table is created here as it is declared today, not imported from
``geo/store/_tables.py``: a revision is frozen.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "population",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_population_key"),
    )
    op.create_index(op.f("ix_population_import_id"), "population", ["import_id"], unique=False)
    op.create_index("ix_population_code_year", "population", ["code", "year"], unique=False)
    op.create_index(
        "ix_victim_counts_area_code_month_agency", "victim_counts", ["area_code", "month", "agency"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_victim_counts_area_code_month_agency", table_name="victim_counts")
    op.drop_index("ix_population_code_year", table_name="population")
    op.drop_index(op.f("ix_population_import_id"), table_name="population")
    op.drop_table("population")
