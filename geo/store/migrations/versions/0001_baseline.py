"""Baseline: the schema of the first release (incidents and rejects in column segments, the audit log).

Frozen as it was: later changes are later revisions, never edits here, so a
store made by the first release upgrades by the same steps as a new one.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_action"), "audit", ["action"], unique=False)
    op.create_index(op.f("ix_audit_at"), "audit", ["at"], unique=False)
    op.create_index(op.f("ix_audit_user"), "audit", ["user"], unique=False)
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.String(length=32), nullable=False),
        sa.Column("source_format", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("already_present", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("granted", sa.String(length=10), nullable=False),
        sa.Column("expiry", sa.String(length=10), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_closures_key"),
    )
    op.create_index(op.f("ix_closures_import_id"), "closures", ["import_id"], unique=False)
    op.create_index("ix_closures_ref", "closures", ["ref"], unique=False)
    op.create_table(
        "estates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=True),
        sa.Column("minx", sa.Float(), nullable=True),
        sa.Column("miny", sa.Float(), nullable=True),
        sa.Column("maxx", sa.Float(), nullable=True),
        sa.Column("maxy", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_estates_key"),
    )
    op.create_index("ix_estates_code", "estates", ["code"], unique=False)
    op.create_index(op.f("ix_estates_import_id"), "estates", ["import_id"], unique=False)
    op.create_table(
        "flagged",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("first_flagged", sa.String(length=10), nullable=False),
        sa.Column("indicators", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("closed", sa.String(length=10), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_flagged_key"),
    )
    op.create_index(op.f("ix_flagged_import_id"), "flagged", ["import_id"], unique=False)
    op.create_index("ix_flagged_ref", "flagged", ["ref"], unique=False)
    op.create_table(
        "incident_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("month_min", sa.String(length=7), nullable=False),
        sa.Column("month_max", sa.String(length=7), nullable=False),
        sa.Column("keys", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_incident_segments_import_id"), "incident_segments", ["import_id"], unique=False)
    op.create_table(
        "reject_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("keys", sa.LargeBinary(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_reject_segments_import_id"), "reject_segments", ["import_id"], unique=False)
    op.create_index(op.f("ix_reject_segments_kind"), "reject_segments", ["kind"], unique=False)
    op.create_table(
        "victim_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("area_code", sa.Text(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_victim_counts_key"),
    )
    op.create_index(op.f("ix_victim_counts_import_id"), "victim_counts", ["import_id"], unique=False)
    op.create_table(
        "victims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("date_safeguarded", sa.String(length=10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_victims_key"),
    )
    op.create_index(op.f("ix_victims_import_id"), "victims", ["import_id"], unique=False)
    op.create_index("ix_victims_ref", "victims", ["ref"], unique=False)
    op.create_table(
        "wards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("src_row", sa.Integer(), nullable=False),
        sa.Column("k1", sa.BigInteger(), nullable=False),
        sa.Column("k2", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=True),
        sa.Column("minx", sa.Float(), nullable=True),
        sa.Column("miny", sa.Float(), nullable=True),
        sa.Column("maxx", sa.Float(), nullable=True),
        sa.Column("maxy", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("k1", "k2", name="uq_wards_key"),
    )
    op.create_index("ix_wards_code", "wards", ["code"], unique=False)
    op.create_index(op.f("ix_wards_import_id"), "wards", ["import_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wards_import_id"), table_name="wards")
    op.drop_index("ix_wards_code", table_name="wards")
    op.drop_table("wards")
    op.drop_index("ix_victims_ref", table_name="victims")
    op.drop_index(op.f("ix_victims_import_id"), table_name="victims")
    op.drop_table("victims")
    op.drop_index(op.f("ix_victim_counts_import_id"), table_name="victim_counts")
    op.drop_table("victim_counts")
    op.drop_index(op.f("ix_reject_segments_kind"), table_name="reject_segments")
    op.drop_index(op.f("ix_reject_segments_import_id"), table_name="reject_segments")
    op.drop_table("reject_segments")
    op.drop_index(op.f("ix_incident_segments_import_id"), table_name="incident_segments")
    op.drop_table("incident_segments")
    op.drop_index("ix_flagged_ref", table_name="flagged")
    op.drop_index(op.f("ix_flagged_import_id"), table_name="flagged")
    op.drop_table("flagged")
    op.drop_index(op.f("ix_estates_import_id"), table_name="estates")
    op.drop_index("ix_estates_code", table_name="estates")
    op.drop_table("estates")
    op.drop_index("ix_closures_ref", table_name="closures")
    op.drop_index(op.f("ix_closures_import_id"), table_name="closures")
    op.drop_table("closures")
    op.drop_table("imports")
    op.drop_index(op.f("ix_audit_user"), table_name="audit")
    op.drop_index(op.f("ix_audit_at"), table_name="audit")
    op.drop_index(op.f("ix_audit_action"), table_name="audit")
    op.drop_table("audit")
