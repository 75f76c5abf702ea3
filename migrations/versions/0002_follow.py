"""Follow-up of dossiers: decline reasons, when a dossier entered its status, reminders, operators' e-mail.

Statuses and event kinds are stored by name in plain strings (not native enums), so RETURNED, DECLINED,
REMINDED and EXPIRED need no type change.

Revision ID: 0002_follow
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0002_follow"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("decline_reason", sa.String(30)))
        batch.add_column(sa.Column("status_since", UTCDateTime))
        batch.add_column(sa.Column("reminded_at", UTCDateTime))
    # Existing dossiers entered their status at the time of that status' own timestamp.
    op.execute(
        "UPDATE dossiers SET status_since = CASE status"
        " WHEN 'TAKEN_IN_CHARGE' THEN COALESCE(taken_in_charge_at, last_activity_at)"
        " WHEN 'ARCHIVED' THEN COALESCE(archived_at, last_activity_at)"
        " WHEN 'ORIENTED' THEN oriented_at"
        " ELSE last_activity_at END"
    )
    with op.batch_alter_table("dossiers") as batch:
        batch.alter_column("status_since", existing_type=UTCDateTime, nullable=False)
        batch.create_index("ix_dossiers_status_since", ["status", "status_since"])
    with op.batch_alter_table("dossier_events") as batch:
        batch.add_column(sa.Column("decline_reason", sa.String(30)))
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("email", sa.String(320)))
        batch.add_column(sa.Column("notifications", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("notifications")
        batch.drop_column("email")
    with op.batch_alter_table("dossier_events") as batch:
        batch.drop_column("decline_reason")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_status_since")
        batch.drop_column("reminded_at")
        batch.drop_column("status_since")
        batch.drop_column("decline_reason")
