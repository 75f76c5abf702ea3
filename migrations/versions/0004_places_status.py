"""Places in depth: closed places (snapshot imports) and members pausing new orientations.

Revision ID: 0004_places_status
Revises: 0003_places_hours
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0004_places_status"
down_revision: str | None = "0003_places_hours"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of the table would drop SpatiaLite's spatial index.
    op.add_column("structures", sa.Column("closed_at", UTCDateTime, nullable=True))
    op.add_column("structures", sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("structures", sa.Column("paused_until", UTCDateTime, nullable=True))
    op.create_index("ix_structures_closed_at", "structures", ["closed_at"])


def downgrade() -> None:
    op.drop_index("ix_structures_closed_at", "structures")
    with op.batch_alter_table("structures") as batch:
        batch.drop_column("paused_until")
        batch.drop_column("paused")
        batch.drop_column("closed_at")
