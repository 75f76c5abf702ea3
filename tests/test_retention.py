"""Retention: a dossier archived longer than the retention delay is purged; anonymous statistics remain."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, Text, func, inspect, select, text
from sqlalchemy.orm import Session

from app.database import Database
from batch.jobs.retention import purge
from models import AnonymousDossier, AnonymousStep, Dossier, DossierEvent, DossierStatus
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL
from tests.test_beneficiary_status import STATUS
from tests.test_statistics import NOVEMBER, STATISTICS, at, history, network

DAYS = 730
LATER = datetime(2029, 1, 1, tzinfo=UTC)  # November 2026 is then more than 730 days ago


def _archive(session: Session, name: str, when: datetime, reason: str) -> None:
    dossier = session.scalars(select(Dossier).where(Dossier.last_name == name)).one()
    dossier.archived_at, dossier.archive_reason = when, reason
    session.flush()


def test_statistics_are_equal_before_and_after_a_purge(gql: GQL, db: Database) -> None:
    with db.write() as session:
        tokens = network(session)
        _archive(session, "Un", at(10), "PATH_COMPLETED")
        _archive(session, "Cinq", at(25), "UNREACHABLE")
    periods = [NOVEMBER, {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}]
    before = [gql.data(STATISTICS, p, token=tokens["coordinator"]) for p in periods]
    with db.write() as session:
        assert purge(session, LATER, DAYS) == 2
    after = [gql.data(STATISTICS, p, token=tokens["coordinator"]) for p in periods]
    assert after == before
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 5
        records = {r.archive_reason: r for r in session.scalars(select(AnonymousDossier))}
        assert set(records) == {"PATH_COMPLETED", "UNREACHABLE"}
        assert records["PATH_COMPLETED"].archived_month == datetime(2026, 11, 1, tzinfo=UTC)
        steps = session.scalars(
            select(AnonymousStep)
            .where(AnonymousStep.anonymous_dossier_id == records["PATH_COMPLETED"].id)
            .order_by(AnonymousStep.id)
        ).all()
        assert [(s.kind, s.month, s.days_to_take_in_charge) for s in steps] == [
            ("ORIENTED", datetime(2026, 11, 1, tzinfo=UTC), None),
            ("TAKEN_IN_CHARGE", datetime(2026, 11, 1, tzinfo=UTC), 2.0),
            ("ARCHIVED", datetime(2026, 11, 1, tzinfo=UTC), None),
        ]


NAME, FIRST, CARNET, NOTE = "Purgeable-Zéphyr", "Oxanne", "753prg", "Rappeler après 18 h chez sa fille"
SECRETS = (NAME, FIRST, CARNET, "purgeablezephyr", NOTE)


def _text_columns(db: Database) -> list[tuple[str, str]]:
    """Every text column of every table of the database, except the spatial extensions' own tables."""
    inspector = inspect(db.engine)
    columns = []
    for table in inspector.get_table_names():
        if table.startswith(
            (
                "spatial",
                "geometry_columns",
                "idx_",
                "sql_statements",
                "views_",
                "virts_",
                "spatialite",
                "data_licenses",
                "KNN",
                "SpatialIndex",
                "ElementaryGeometries",
                "geom_cols",
                "vector_layers",
                "sqlite_",
            )
        ):
            continue
        for column in inspector.get_columns(table):
            if isinstance(column["type"], String | Text):
                columns.append((table, column["name"]))
    return columns


def _occurrences(db: Database) -> list[tuple[str, str, str]]:
    found = []
    with db.engine.connect() as conn:
        for table, column in _text_columns(db):
            for secret in SECRETS:
                hit = conn.execute(
                    text(f'SELECT 1 FROM "{table}" WHERE lower("{column}") LIKE :needle LIMIT 1'),
                    {"needle": f"%{secret.lower()}%"},
                ).first()
                if hit:
                    found.append((table, column, secret))
    return found


def test_a_purged_dossier_is_as_a_carnet_never_seen(gql: GQL, db: Database) -> None:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        other = factories.structure(session, "Ailleurs", operator=True, lat=45.7)
        coordinator = factories.operator(session, None, "Coord")
        operator = factories.operator(session, other, "Opératrice")
        dossier = factories.dossier(
            session, home.id, status=DossierStatus.ARCHIVED, carnet=CARNET, last_name=NAME
        )
        dossier.first_name, dossier.commune_code = FIRST, "16015"
        dossier.archived_at = at(20, month=10)
        history(
            session,
            dossier,
            ("ORIENTED", at(1, month=10), None, home.id),
            ("ARCHIVED", at(20, month=10), home.id, home.id, "OTHER"),
        )
        session.execute(DossierEvent.__table__.update().values(note=NOTE))
        dossier_id = to_global_id("Dossier", dossier.id)
    assert {(t, c, s) for t, c, s in _occurrences(db)} >= {
        ("dossiers", "last_name", NAME),
        ("dossier_events", "note", NOTE),
    }
    unknown_claim = gql.data(op.CLAIM, {"name": NAME, "carnet": "999zzz"}, token=operator)["claimDossier"]
    unknown_status = gql.data(STATUS, {"name": NAME, "carnet": "999zzz"})["beneficiaryStatus"]

    with db.write() as session:
        assert purge(session, LATER, DAYS) == 1

    assert gql.data(op.DOSSIER, {"id": dossier_id}, token=coordinator)["dossier"] is None
    assert (
        gql.data(op.CLAIM, {"name": NAME, "carnet": CARNET}, token=operator)["claimDossier"] == unknown_claim
    )
    assert gql.data(STATUS, {"name": NAME, "carnet": CARNET})["beneficiaryStatus"] == unknown_status
    assert len(_text_columns(db)) > 20  # the scan does read the tables
    assert _occurrences(db) == []


def test_what_is_not_due_stays(db: Database) -> None:
    now = datetime(2028, 6, 1, tzinfo=UTC)
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        due = factories.dossier(session, home.id, status=DossierStatus.ARCHIVED)
        due.archived_at = now - timedelta(days=DAYS, seconds=1)
        young = factories.dossier(session, home.id, status=DossierStatus.ARCHIVED)
        young.archived_at = now - timedelta(days=DAYS - 1)
        for status in (DossierStatus.ORIENTED, DossierStatus.TAKEN_IN_CHARGE, DossierStatus.RETURNED):
            old = factories.dossier(session, home.id, status=status)
            old.oriented_at = old.status_since = old.last_activity_at = now - timedelta(days=3 * DAYS)
        kept = {young.id} | {
            d.id for d in session.scalars(select(Dossier).where(Dossier.status != "ARCHIVED"))
        }
    with db.write() as session:
        assert purge(session, now, DAYS) == 1
    with db.write() as session:
        assert set(session.scalars(select(Dossier.id))) == kept
        assert purge(session, now, DAYS) == 0  # idempotent


def test_two_workers_purge_each_dossier_once(db: Database) -> None:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        for _ in range(30):
            dossier = factories.dossier(session, home.id, status=DossierStatus.ARCHIVED)
            dossier.archived_at = at(1, month=1)
            history(session, dossier, ("ARCHIVED", at(1, month=1), home.id, home.id, "DUPLICATE"))
    counts: dict[str, int] = {}
    done: dict[str, float] = {}
    first_in = threading.Event()

    def worker(name: str, hold: float) -> None:
        with db.write() as session:
            counts[name] = purge(session, LATER, DAYS)
            first_in.set()
            threading.Event().wait(hold)  # keep the transaction (and its locks) open a while
        done[name] = time.monotonic()

    one = threading.Thread(target=worker, args=("one", 1.0))
    one.start()
    first_in.wait(10)
    two = threading.Thread(target=worker, args=("two", 0.0))
    two.start()
    one.join(20)
    two.join(20)
    # PostgreSQL: the second skips the rows the first has locked, without waiting for it; SQLite: it waits
    # for the first writer, then finds none left.
    assert counts == {"one": 30, "two": 0}
    if db.backend == "postgis":
        assert done["two"] < done["one"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(AnonymousDossier)) == 30
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0
