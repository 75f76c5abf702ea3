"""Each history event keeps when the dossier had entered the status the event ends, for waiting times.

Existing events are filled from the history itself: every event but a reminder changes the status, so the
status an event ends began at the dossier's previous such event.

Revision ID: 0003_stats
Revises: 0002_stats
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0003_stats"
down_revision: str | None = "0002_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_events") as batch:
        batch.add_column(sa.Column("previous_since", UTCDateTime))
    op.execute(
        "UPDATE dossier_events SET previous_since = (SELECT max(p.at) FROM dossier_events p"
        " WHERE p.dossier_id = dossier_events.dossier_id AND p.id < dossier_events.id AND p.kind <> 'REMINDED')"
    )


def downgrade() -> None:
    with op.batch_alter_table("dossier_events") as batch:
        batch.drop_column("previous_since")
