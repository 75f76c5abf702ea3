"""Places in depth: filter columns for the national standard's publics and specific support.

Revision ID: 0005_places_standard
Revises: 0004_places_status
Create Date: 2026-11-28
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.standard import standard_masks

revision: str = "0005_places_standard"
down_revision: str | None = "0004_places_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: a batch copy of the table would drop SpatiaLite's spatial index.
    op.add_column("structures", sa.Column("publics_mask", sa.Integer, nullable=False, server_default="0"))
    op.add_column(
        "structures", sa.Column("specific_support_mask", sa.Integer, nullable=False, server_default="0")
    )
    bind = op.get_bind()
    updates = []
    for pk, standard in bind.execute(sa.text("SELECT id, standard FROM structures")):
        values = standard_masks(json.loads(standard) if isinstance(standard, str) else standard)
        if any(values.values()):
            updates.append({"pk": pk, **values})
    if updates:
        bind.execute(
            sa.text(
                "UPDATE structures SET publics_mask = :publics_mask, "
                "specific_support_mask = :specific_support_mask WHERE id = :pk"
            ),
            updates,
        )


def downgrade() -> None:
    op.drop_column("structures", "specific_support_mask")
    op.drop_column("structures", "publics_mask")
