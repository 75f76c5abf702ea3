"""Places in depth: the communes' search index.

Revision ID: 0002_places
Revises: 0002_follow
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.mapping import SEARCH_KEY_LIMIT, commune_search_keys

revision: str = "0002_places"
down_revision: str | None = "0002_follow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    # Prefix searches are ranges on the key: they need the bytewise order ("C"), which SQLite has by default.
    collation = "C" if bind.dialect.name == "postgresql" else None
    keys = op.create_table(
        "commune_search_keys",
        sa.Column("key", sa.String(SEARCH_KEY_LIMIT, collation=collation), primary_key=True),
        sa.Column(
            "commune_code", sa.String(5), sa.ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("rank", sa.Integer, nullable=False),
    )
    op.create_index("ix_commune_search_keys_commune_code", "commune_search_keys", ["commune_code"])
    rows = [
        {"key": key, "commune_code": code, "rank": rank}
        for code, name in bind.execute(sa.text("SELECT code, name FROM communes"))
        for key, rank in commune_search_keys(name)
        if key
    ]
    if rows:
        op.bulk_insert(keys, rows)


def downgrade() -> None:
    op.drop_table("commune_search_keys")
