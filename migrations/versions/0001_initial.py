"""Initial schema: communes, structures, offerings, operators, dossiers and their events.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from models.base import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _point() -> sa.Column:
    return sa.Column(
        "location", Geometry(geometry_type="POINT", srid=4326, spatial_index=True), nullable=True
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        has_meta = bind.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='spatial_ref_sys'"
        ).first()
        if not has_meta:
            bind.exec_driver_sql("SELECT InitSpatialMetadata(0, 'WGS84')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "communes",
        sa.Column("code", sa.String(5), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department_code", sa.String(3), index=True),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        _point(),
    )
    op.create_table(
        "postal_codes",
        sa.Column("postal_code", sa.String(5), primary_key=True),
        sa.Column(
            "commune_code", sa.String(5), sa.ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True
        ),
    )
    op.create_table(
        "structures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("street", sa.String(300), nullable=False),
        sa.Column("address_complement", sa.String(300)),
        sa.Column("postal_code", sa.String(5), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("commune_code", sa.String(5), index=True),
        sa.Column("department_code", sa.String(3), index=True),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        _point(),
        sa.Column("is_operator", sa.Boolean, nullable=False, index=True),
        sa.Column("opening_hours", sa.Text),
        sa.Column("phone", sa.String(100)),
        sa.Column("email", sa.String(500)),
        sa.Column("website", sa.String(1000)),
        sa.Column("pivot", sa.String(20)),
        sa.Column("typology", sa.String(300)),
        sa.Column("summary", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("source_updated_on", sa.Date),
        sa.Column("standard", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("source", "source_id", name="uq_structures_source_source_id"),
    )
    op.create_index("ix_structures_updated_at_id", "structures", ["updated_at", "id"])
    op.create_table(
        "service_offerings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "structure_id",
            sa.Integer,
            sa.ForeignKey("structures.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(40), nullable=False, index=True),
        sa.Column("fees", sa.String(30)),
        sa.Column("accepts_carnet", sa.Boolean, nullable=False),
        sa.Column("modalities", sa.String(500)),
        sa.Column("own_latitude", sa.Float),
        sa.Column("own_longitude", sa.Float),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        _point(),
        sa.UniqueConstraint("structure_id", "kind", name="uq_service_offerings_structure_kind"),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("structure_id", sa.Integer, sa.ForeignKey("structures.id"), index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_table(
        "dossiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("carnet_number", sa.String(40), nullable=False, unique=True),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("name_key", sa.String(200), nullable=False, index=True),
        sa.Column("commune_code", sa.String(5)),
        sa.Column("needs", sa.String(500), nullable=False),
        sa.Column("structure_id", sa.Integer, sa.ForeignKey("structures.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("oriented_at", UTCDateTime, nullable=False),
        sa.Column("taken_in_charge_at", UTCDateTime),
        sa.Column("archived_at", UTCDateTime),
        sa.Column("archive_reason", sa.String(30)),
        sa.Column("last_activity_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_dossiers_tab", "dossiers", ["structure_id", "status", "last_activity_at", "id"])
    op.create_table(
        "dossier_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "dossier_id",
            sa.Integer,
            sa.ForeignKey("dossiers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("operators.id")),
        sa.Column("actor_name", sa.String(200)),
        sa.Column("from_structure_id", sa.Integer, sa.ForeignKey("structures.id")),
        sa.Column("to_structure_id", sa.Integer, sa.ForeignKey("structures.id")),
        sa.Column("archive_reason", sa.String(30)),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    for table in ("dossier_events", "dossiers", "operators", "service_offerings", "structures"):
        op.drop_table(table)
    op.drop_table("postal_codes")
    op.drop_table("communes")
