"""Each place's offering kinds kept on the place, and the number of places per set of kinds.

- ``structures.offering_kinds``: the kinds of the place's offerings, distinct, sorted (bytewise) and joined
  by commas (``NULL`` without offerings); ``structures.offering_carnet``: one of them accepts carnets. The
  map's GeoJSON reads them with the place instead of aggregating its offerings once per place.
- ``kind_sets``: how many places there are per (set of kinds, closed or not), at most 2**9 × 2 rows. A
  ``totalCount`` filtered by kinds only is the sum over the sets that meet the kinds asked.

Triggers keep them, whatever writes (the service, an import, psql), next to ``map_state`` (0004_perf):
- PostgreSQL: statement triggers on ``service_offerings`` (transition tables: one set-based update of the
  places touched, however many rows the statement wrote) recompute the two columns; a write that changes a
  place's set or its closing (or inserts or deletes places) marks the transaction, and the commit-time
  trigger of ``map_state`` then recounts ``kind_sets`` and ``map_state.structures`` together (one scan, after
  locking the ``map_state`` row, as before); a transaction that does not mark it only changes the version.
- SQLite: one writer at a time, so row triggers recompute the columns and add and subtract exactly.

Plain ADD COLUMN on both backends: a batch copy of ``structures`` would drop SpatiaLite's spatial index and
every trigger on the table.

Revision ID: 0007_viewport
Revises: 0006_follow_outbox
Create Date: 2026-11-28
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_viewport"
down_revision: str | None = "0006_follow_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIRTY = "aiguillage.kind_sets_dirty"

# The value of both columns for the places of the rows of `{rows}` (a table or transition table).
PG_KINDS = """
UPDATE structures s SET offering_kinds = k.kinds, offering_carnet = k.carnet
FROM (
    SELECT c.id, a.kinds, a.carnet
    FROM (SELECT DISTINCT structure_id AS id FROM {rows}) c,
    LATERAL (SELECT string_agg(o.kind, ',' ORDER BY o.kind COLLATE "C") AS kinds,
                    coalesce(bool_or(o.accepts_carnet), false) AS carnet
             FROM service_offerings o WHERE o.structure_id = c.id) a
) k
WHERE s.id = k.id AND (s.offering_kinds IS DISTINCT FROM k.kinds OR s.offering_carnet IS DISTINCT FROM k.carnet)
"""

PG_OFFERINGS_FUNCTION = f"""
CREATE FUNCTION offering_kinds_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE structures SET offering_kinds = NULL, offering_carnet = false
        WHERE offering_kinds IS NOT NULL OR offering_carnet;
        RETURN NULL;
    END IF;
    -- Lock the places first, in id order, then compute: the UPDATEs below run on a snapshot taken after any
    -- other writer of these places committed (an UPDATE that waited on a row lock would keep the kinds it had
    -- already aggregated, missing the other transaction's offerings).
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM structures WHERE id IN (SELECT structure_id FROM new_rows) ORDER BY id FOR UPDATE;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM structures WHERE id IN (SELECT structure_id FROM old_rows) ORDER BY id FOR UPDATE;
    ELSE
        PERFORM 1 FROM structures
        WHERE id IN (SELECT structure_id FROM new_rows UNION SELECT structure_id FROM old_rows)
        ORDER BY id FOR UPDATE;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {PG_KINDS.format(rows="new_rows")};
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        {PG_KINDS.format(rows="old_rows")};
    END IF;
    RETURN NULL;
END
$$
"""

PG_DIRTY_FUNCTION = f"""
CREATE FUNCTION kind_sets_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('{DIRTY}', 'yes', true);
    RETURN NULL;
END
$$
"""

# 0004_perf's function, recounting kind_sets (and the structures from them) when the transaction changed them.
PG_MAP_STATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION map_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Row events run at commit, once per transaction: the events of its other rows have nothing left to do.
    IF TG_LEVEL = 'ROW' THEN
        IF current_setting('aiguillage.map_state_done', true) = 'yes' THEN
            RETURN NULL;
        END IF;
        PERFORM set_config('aiguillage.map_state_done', 'yes', true);
    END IF;
    -- Lock first: the counts below then run on a snapshot taken after any writer before us committed.
    PERFORM 1 FROM map_state WHERE id = 1 FOR UPDATE;
    IF TG_OP = 'TRUNCATE' OR current_setting('{DIRTY}', true) = 'yes' THEN
        DELETE FROM kind_sets;
        INSERT INTO kind_sets (kinds, closed, structures)
        SELECT coalesce(offering_kinds, ''), closed_at IS NOT NULL, count(*) FROM structures GROUP BY 1, 2;
        UPDATE map_state SET version = version + 1,
                             structures = (SELECT coalesce(sum(structures), 0) FROM kind_sets)
        WHERE id = 1;
    ELSE
        UPDATE map_state SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""

SQLITE_KINDS = """
UPDATE structures SET
    offering_kinds = (SELECT group_concat(kind, ',') FROM
                      (SELECT kind FROM service_offerings WHERE structure_id = {row}.structure_id ORDER BY kind)),
    offering_carnet = EXISTS (SELECT 1 FROM service_offerings
                              WHERE structure_id = {row}.structure_id AND accepts_carnet)
WHERE id = {row}.structure_id;
"""


def _sqlite_count(row: str, change: str) -> str:
    return (
        "INSERT INTO kind_sets (kinds, closed, structures) "
        f"VALUES (coalesce({row}.offering_kinds, ''), {row}.closed_at IS NOT NULL, {change}) "
        f"ON CONFLICT (kinds, closed) DO UPDATE SET structures = structures + ({change});"
    )


def upgrade() -> None:
    op.add_column("structures", sa.Column("offering_kinds", sa.Text, nullable=True))
    op.add_column(
        "structures", sa.Column("offering_carnet", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "kind_sets",
        sa.Column("kinds", sa.Text, primary_key=True),
        sa.Column("closed", sa.Boolean, primary_key=True),
        sa.Column("structures", sa.BigInteger, nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(PG_KINDS.format(rows="service_offerings"))
    else:
        op.execute(
            "UPDATE structures SET offering_kinds = (SELECT group_concat(kind, ',') FROM (SELECT kind FROM "
            "service_offerings o WHERE o.structure_id = structures.id ORDER BY kind)), offering_carnet = "
            "EXISTS (SELECT 1 FROM service_offerings o WHERE o.structure_id = structures.id AND accepts_carnet)"
        )
    op.execute(
        "INSERT INTO kind_sets (kinds, closed, structures) SELECT coalesce(offering_kinds, ''), "
        "closed_at IS NOT NULL, count(*) FROM structures GROUP BY 1, 2"
    )
    if postgres:
        op.execute(PG_OFFERINGS_FUNCTION)
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            op.execute(
                f"CREATE TRIGGER service_offerings_kinds_{event.lower()} AFTER {event} ON service_offerings "
                f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION offering_kinds_changed()"
            )
        op.execute(
            "CREATE TRIGGER service_offerings_kinds_truncate AFTER TRUNCATE ON service_offerings "
            "FOR EACH STATEMENT EXECUTE FUNCTION offering_kinds_changed()"
        )
        op.execute(PG_DIRTY_FUNCTION)
        op.execute(
            "CREATE TRIGGER structures_kind_sets AFTER INSERT OR DELETE ON structures "
            "FOR EACH STATEMENT EXECUTE FUNCTION kind_sets_dirty()"
        )
        op.execute(
            "CREATE TRIGGER structures_kind_sets_update AFTER UPDATE OF offering_kinds, closed_at ON structures "
            "FOR EACH ROW WHEN (OLD.offering_kinds IS DISTINCT FROM NEW.offering_kinds "
            "OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL)) EXECUTE FUNCTION kind_sets_dirty()"
        )
        op.execute(PG_MAP_STATE_FUNCTION)
        return
    op.execute(
        "CREATE TRIGGER service_offerings_kinds_insert AFTER INSERT ON service_offerings "
        f"BEGIN {SQLITE_KINDS.format(row='NEW')} END"
    )
    op.execute(
        "CREATE TRIGGER service_offerings_kinds_delete AFTER DELETE ON service_offerings "
        f"BEGIN {SQLITE_KINDS.format(row='OLD')} END"
    )
    op.execute(
        "CREATE TRIGGER service_offerings_kinds_update AFTER UPDATE OF structure_id, kind, accepts_carnet "
        f"ON service_offerings BEGIN {SQLITE_KINDS.format(row='OLD')} {SQLITE_KINDS.format(row='NEW')} END"
    )
    op.execute(
        f"CREATE TRIGGER structures_kind_sets_insert AFTER INSERT ON structures BEGIN {_sqlite_count('NEW', '1')} END"
    )
    op.execute(
        f"CREATE TRIGGER structures_kind_sets_delete AFTER DELETE ON structures BEGIN {_sqlite_count('OLD', '-1')} END"
    )
    op.execute(
        "CREATE TRIGGER structures_kind_sets_update AFTER UPDATE OF offering_kinds, closed_at ON structures "
        "WHEN OLD.offering_kinds IS NOT NEW.offering_kinds OR (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL) "
        f"BEGIN {_sqlite_count('OLD', '-1')} {_sqlite_count('NEW', '1')} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS service_offerings_kinds_{event} ON service_offerings")
        op.execute("DROP TRIGGER IF EXISTS structures_kind_sets ON structures")
        op.execute("DROP TRIGGER IF EXISTS structures_kind_sets_update ON structures")
        op.execute("DROP FUNCTION IF EXISTS offering_kinds_changed()")
        op.execute("DROP FUNCTION IF EXISTS kind_sets_dirty()")
        perf = importlib.import_module("migrations.versions.0004_perf")
        op.execute(perf.PG_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS service_offerings_kinds_{event}")
            op.execute(f"DROP TRIGGER IF EXISTS structures_kind_sets_{event}")
    op.drop_table("kind_sets")
    op.drop_column("structures", "offering_carnet")
    op.drop_column("structures", "offering_kinds")
