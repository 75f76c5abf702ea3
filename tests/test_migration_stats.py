"""0003_stats fills ``previous_since`` of the events already written, on both backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import migrate
from app.database import Database
from app.settings import load_settings
from tests.conftest import PG_URL


@pytest.fixture
def blank(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty database of its own, not migrated."""
    if backend == "spatialite":
        db = Database.from_settings(load_settings(database_url=f"sqlite:///{tmp_path / 'mig.db'}"))
        yield db
        db.dispose()
        return
    if PG_URL is None:
        pytest.skip("PostGIS: set AIGUILLAGE_TEST_POSTGRES_URL")
    base = make_url(PG_URL)
    name = f"{base.database}_mig_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database.from_settings(load_settings(database_url=base.set(database=name).render_as_string(False)))
    yield db
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_previous_since_is_filled_from_the_history(blank: Database) -> None:
    migrate.upgrade(blank.engine, "0002_stats")
    t = [datetime(2026, 3, d, 9, tzinfo=UTC) for d in range(1, 6)]
    with blank.write() as session:
        session.execute(
            text(
                "INSERT INTO structures (id, source, source_id, name, street, postal_code, city, is_operator,"
                " standard, created_at, updated_at) VALUES (1, 't', '1', 'A', '', '', '', true, '{}', :t, :t)"
            ),
            {"t": t[0]},
        )
        session.execute(
            text(
                "INSERT INTO dossiers (id, carnet_number, last_name, name_key, needs, structure_id, status,"
                " version, oriented_at, status_since, last_activity_at, created_at)"
                " VALUES (1, '123abc', 'X', 'x', '', 1, 'TAKEN_IN_CHARGE', 4, :t, :t, :t, :t)"
            ),
            {"t": t[3]},
        )
        for i, kind in enumerate(("ORIENTED", "REMINDED", "REORIENTED", "TAKEN_IN_CHARGE"), start=1):
            session.execute(
                text("INSERT INTO dossier_events (id, dossier_id, kind, at) VALUES (:id, 1, :kind, :at)"),
                {"id": i, "kind": kind, "at": t[i - 1]},
            )
    migrate.upgrade(blank.engine)
    with blank.read() as session:
        rows = session.execute(text("SELECT kind FROM dossier_events ORDER BY id")).scalars().all()
        since = [
            session.execute(
                text("SELECT previous_since FROM dossier_events WHERE id = :id"), {"id": i}
            ).scalar_one()
            for i in range(1, 5)
        ]
    assert rows == ["ORIENTED", "REMINDED", "REORIENTED", "TAKEN_IN_CHARGE"]
    # The taking in charge ended the orientation of the reorientation (t[2]), not the first one: a reminder
    # is not a change of status.
    parsed = [
        None if s is None else (s if isinstance(s, datetime) else datetime.fromisoformat(s)) for s in since
    ]
    assert [p.replace(tzinfo=None) if p else None for p in parsed] == [
        None,
        t[0].replace(tzinfo=None),
        t[0].replace(tzinfo=None),
        t[2].replace(tzinfo=None),
    ]
