"""landplots: zones, regional assessments, standard plots, indicators, registry version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

Geometries: PostGIS ``geometry(GEOMETRY, 4490)`` with GiST indexes on PostgreSQL (the postgis
extension is created if missing); WKB in a BLOB on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _geometry(pg: bool) -> sa.types.TypeEngine:
    if pg:
        from geoalchemy2 import Geometry

        return Geometry("GEOMETRY", srid=4490, spatial_index=False)
    return sa.LargeBinary()


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "landplot_zones",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geometry", _geometry(pg), nullable=False),
        sa.Column("area_m2", sa.Double(), nullable=False),
        sa.Column("area_mu", sa.Double(), nullable=False),
        sa.Column("indicator_definitions", JSONDoc, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_landplot_zones")),
    )
    op.create_table(
        "landplot_assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("conclusions", sa.Text(), nullable=False),
        sa.Column("constraints", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_code"],
            ["landplot_zones.code"],
            name=op.f("fk_landplot_assessments_zone_code_landplot_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landplot_assessments")),
    )
    op.create_index(
        op.f("ix_landplot_assessments_zone_code"), "landplot_assessments", ["zone_code"]
    )
    op.create_table(
        "landplots",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("land_use", sa.String(length=100), nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=False),
        sa.Column("geometry", _geometry(pg), nullable=False),
        sa.Column("area_m2", sa.Double(), nullable=False),
        sa.Column("area_mu", sa.Double(), nullable=False),
        sa.Column("gk_epsg", sa.Integer(), nullable=False),
        sa.Column("extra", JSONDoc, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_landplots")),
    )
    op.create_index(op.f("ix_landplots_status"), "landplots", ["status"])
    op.create_index(op.f("ix_landplots_zone_code"), "landplots", ["zone_code"])
    op.create_table(
        "landplot_indicators",
        sa.Column("plot_code", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("lower", sa.Double(), nullable=True),
        sa.Column("upper", sa.Double(), nullable=True),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["plot_code"],
            ["landplots.code"],
            name=op.f("fk_landplot_indicators_plot_code_landplots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plot_code", "key", name=op.f("pk_landplot_indicators")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "landplot_registry",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landplot_registry")),
    )
    if pg:
        op.execute('CREATE INDEX "ix_landplots_geometry" ON "landplots" USING gist ("geometry")')
        op.execute(
            'CREATE INDEX "ix_landplot_zones_geometry" ON "landplot_zones" USING gist ("geometry")'
        )


def downgrade() -> None:
    op.drop_table("landplot_registry")
    op.drop_table("landplot_indicators")
    op.drop_index(op.f("ix_landplots_zone_code"), table_name="landplots")
    op.drop_index(op.f("ix_landplots_status"), table_name="landplots")
    op.drop_table("landplots")  # drops its GiST index with it
    op.drop_index(op.f("ix_landplot_assessments_zone_code"), table_name="landplot_assessments")
    op.drop_table("landplot_assessments")
    op.drop_table("landplot_zones")
