"""Anonymous statistics records of purged dossiers; an index to read the history by period.

Revision ID: 0002_stats
Revises: 0002_places
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0002_stats"
down_revision: str | None = "0002_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "anonymous_dossiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("needs", sa.String(500), nullable=False),
        sa.Column("structure_id", sa.Integer, sa.ForeignKey("structures.id")),
        sa.Column("reorientations", sa.Integer, nullable=False),
        sa.Column("archive_reason", sa.String(30)),
        sa.Column("decline_reason", sa.String(30)),
        sa.Column("archived_month", UTCDateTime, nullable=False),
    )
    op.create_table(
        "anonymous_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "anonymous_dossier_id",
            sa.Integer,
            sa.ForeignKey("anonymous_dossiers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("month", UTCDateTime, nullable=False, index=True),
        sa.Column("from_structure_id", sa.Integer, sa.ForeignKey("structures.id")),
        sa.Column("to_structure_id", sa.Integer, sa.ForeignKey("structures.id")),
        sa.Column("archive_reason", sa.String(30)),
        sa.Column("decline_reason", sa.String(30)),
        sa.Column("days_to_take_in_charge", sa.Float),
    )
    op.create_index("ix_dossier_events_at", "dossier_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_dossier_events_at", "dossier_events")
    op.drop_table("anonymous_steps")
    op.drop_table("anonymous_dossiers")
