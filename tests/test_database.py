import time

import pytest
from sqlalchemy import create_engine, select, text

from app import database, migrate
from app.database import Database
from app.settings import Settings
from geo.points import set_point
from models import Structure


def test_migrated_database_is_at_head(db: Database) -> None:
    migrate.check_migrated(db.engine)


def test_structure_round_trip_keeps_point_and_utc(db: Database) -> None:
    with db.write() as session:
        s = Structure(
            source="test",
            source_id="1",
            name="Médiathèque",
            street="1 rue",
            postal_code="16000",
            city="Angoulême",
            is_operator=False,
            standard={},
        )
        set_point(s, 45.65, 0.16)
        session.add(s)
    with db.read() as session:
        got = session.scalars(select(Structure)).one()
        assert (got.latitude, got.longitude) == (45.65, 0.16)
        assert got.updated_at.tzinfo is not None


# PostgreSQL only: SQLite has no server to close a pooled connection.
@pytest.mark.parametrize("backend", ["postgis"])
def test_pooled_connections_are_pinged_only_when_needed_and_replaced_when_closed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database.from_settings(settings)
    pings: list[object] = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: (pings.append(conn), ping(conn))[1])

    def backend_pid() -> int:
        with db.read() as session:
            return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())

    admin = create_engine(settings.database_url, isolation_level="AUTOCOMMIT")
    try:
        first = backend_pid()
        # Used a moment ago and its socket quiet: taken as is, no round trip.
        assert backend_pid() == first and pings == []
        # Idle for longer than the threshold: pinged, and kept when it answers.
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert backend_pid() == first and len(pings) == 1
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 10.0)
        # The server ends it while it waits in the pool: replaced before use, the request never sees it.
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
            for _ in range(100):
                gone = conn.execute(
                    text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
                ).scalar_one()
                if gone:
                    break
                time.sleep(0.05)
        assert backend_pid() != first
        assert len(pings) == 2
        # Closed on this side while it waits in the pool (its fileno() then fails): replaced too.
        third = backend_pid()
        (idle,) = db.engine.pool._pool.queue  # type: ignore[attr-defined]
        idle.dbapi_connection.close()
        assert backend_pid() != third
    finally:
        admin.dispose()
        db.dispose()
