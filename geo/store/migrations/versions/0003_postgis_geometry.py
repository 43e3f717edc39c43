"""PostgreSQL: geometry columns with spatial indexes beside the portable WKB and lat/lng.

The portable columns stay the source of truth, so SQLite and PostgreSQL share
one insert path; on PostgreSQL each boundary and case point also gets a
generated PostGIS ``geom`` (SRID 4326) with a GiST index, for joins done in the
database. Nothing to do on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

POLYGONS = ("wards", "estates")
POINTS = ("closures", "flagged", "victims")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for table in POLYGONS:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN geom geometry(Geometry, 4326) "
            "GENERATED ALWAYS AS (ST_GeomFromWKB(geometry, 4326)) STORED"
        )
    for table in POINTS:
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN geom geometry(Point, 4326) GENERATED ALWAYS AS "
            "(CASE WHEN lat IS NULL OR lng IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326) END) STORED"
        )
    for table in (*POLYGONS, *POINTS):
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*POLYGONS, *POINTS):
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_geom")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS geom")
