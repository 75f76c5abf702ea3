"""The map's data version and structure count, kept by the database itself.

``map_state`` holds one row: ``version`` changes whenever a structure or an offering is written (the public
map's GeoJSON validators derive from it, so a repeated request is answered 304 without reading the places),
and ``structures`` is the exact number of structures (an unfiltered ``totalCount`` reads it instead of
counting 200 000 rows).

Triggers keep it, whatever writes (the service, an import, psql):
- PostgreSQL: a deferred constraint trigger runs once per writing transaction, at commit, after every row
  lock of the transaction is held, so the single row is locked last and briefly (no deadlock between
  writers, no writer serialised for its whole transaction); it locks the row first, then counts, so the
  count sees every transaction committed before this one. TRUNCATE has its own statement trigger.
- SQLite: one writer at a time, so row triggers add and subtract exactly.

Revision ID: 0004_perf
Revises: 0003_stats
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_perf"
down_revision: str | None = "0003_stats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAP_TABLES = ("structures", "service_offerings")

PG_FUNCTION = """
CREATE FUNCTION map_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Row events run at commit, once per transaction: the events of its other rows have nothing left to do.
    IF TG_LEVEL = 'ROW' THEN
        IF current_setting('aiguillage.map_state_done', true) = 'yes' THEN
            RETURN NULL;
        END IF;
        PERFORM set_config('aiguillage.map_state_done', 'yes', true);
    END IF;
    -- Lock first: the count below then runs on a snapshot taken after any writer before us committed.
    PERFORM 1 FROM map_state WHERE id = 1 FOR UPDATE;
    UPDATE map_state SET version = version + 1, structures = (SELECT count(*) FROM structures) WHERE id = 1;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "map_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("structures", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_map_state_single_row"),
    )
    op.execute("INSERT INTO map_state (id, version, structures) SELECT 1, 1, count(*) FROM structures")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in MAP_TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_map_state AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION map_state_changed()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_map_state_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION map_state_changed()"
            )
        return
    for table in MAP_TABLES:
        counted = table == "structures"
        for event, change in (("INSERT", "+ 1"), ("DELETE", "- 1"), ("UPDATE", None)):
            count = f", structures = structures {change}" if counted and change else ""
            op.execute(
                f"CREATE TRIGGER {table}_map_state_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE map_state SET version = version + 1{count} WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in MAP_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_map_state ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_map_state_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS map_state_changed()")
    else:
        for table in MAP_TABLES:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_map_state_{event}")
    op.drop_table("map_state")
