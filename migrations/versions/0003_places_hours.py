"""Places in depth: weekly open intervals, for « ouvert maintenant ? » (the openAt filter).

Revision ID: 0003_places_hours
Revises: 0004_perf
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.hours import time_zone_of, weekly_intervals

revision: str = "0003_places_hours"
down_revision: str | None = "0004_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    intervals = op.create_table(
        "open_intervals",
        sa.Column(
            "structure_id",
            sa.Integer,
            sa.ForeignKey("structures.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("holiday", sa.Boolean, primary_key=True),
        sa.Column("start_minute", sa.Integer, primary_key=True),
        sa.Column("end_minute", sa.Integer, nullable=False),
        sa.Column("time_zone", sa.String(40), nullable=False),
    )
    rows = []
    structures = op.get_bind().execute(
        sa.text("SELECT id, opening_hours, department_code FROM structures WHERE opening_hours IS NOT NULL")
    )
    for pk, hours, department in structures:
        weekly = weekly_intervals(hours)
        if weekly is None:
            continue
        for holiday, found in ((False, weekly.week), (True, weekly.holiday)):
            rows += [
                {
                    "structure_id": pk,
                    "holiday": holiday,
                    "start_minute": a,
                    "end_minute": b,
                    "time_zone": time_zone_of(department),
                }
                for a, b in found
            ]
    if rows:
        op.bulk_insert(intervals, rows)


def downgrade() -> None:
    op.drop_table("open_intervals")
