"""The CSV export has two writers: PostgreSQL writes the plain rows' records itself, Python writes the others
(and every row on SQLite). Both must give the same bytes, row for row, on rows made to sit on each border of
"plain" — and the same data on both backends must give the same file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from app.database import Database
from app.http_geo import csv_chunks
from app.settings import load_settings
from models import Fees, ServiceKind
from resolvers import export
from resolvers.ids import global_id_sql, to_global_id
from tests import factories
from tests.conftest import PG_URL, _empty
from tests.geo_factories import commune

NBSP, NNBSP = "\u00a0", "\u202f"
# (name, changes to the structure): each row sits on one border of what the database writes itself.
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("Médiathèque simple", {}),
    ("Deux  espaces", {}),
    (f"Espace{NBSP}insécable", {}),
    (" Blanc devant", {}),
    ("Tabulation", {"street": "3\true des Tests"}),
    ("=HYPERLINK(1)", {}),
    ("-2+3", {"source": "-source"}),
    ('Association "Le Lien"', {}),
    ("Entier", {"lat": 45.0, "lon": -1.0}),
    ("Presque zéro", {"lat": 0.00005, "lon": -0.00001}),
    ("Latitude écrite par psql", {"raw_latitude": 1e15}),  # outside the app's range: PostgreSQL writes 1e+15
    ("Sans offre", {"kinds": ()}),
    ("Frais mêlés", {"fees": (Fees.PAID, Fees.FREE_UNDER_CONDITIONS)}),
    ("Résumé long", {"summary": "x" * 278 + " y" + "z" * 10}),
    ("Résumé juste", {"summary": "y" * 280}),
    ("Résumé formule", {"summary": "@" + "y" * 300}),
    ("Sans ville", {"city": "", "postal_code": ""}),
    ("Code entouré", {"set_commune_code": "16015 "}),
    ("Corse en minuscules", {"set_commune_code": "2a004"}),
    ("Pivot entouré", {"pivot": " 21160015300017 "}),
    ("Pivot faux", {"pivot": "pas-un-siret"}),
    ("Pivot juste", {"pivot": "21160015300017"}),
    ("Publié", {"standard": {"itinerance": ["Fixe"], "prise_rdv": ["https://rdv.example.org"]}}),
    ("Téléphone", {"phone": "05 45 94 56 00"}),
    ("Sans rue", {"street": ""}),
    ("Complément", {"address_complement": f" Bâtiment B{NNBSP}", "opening_hours": " Mo-Fr 09:00-12:00"}),
    ("Détail", {"description": "ligne 1\r\nligne 2\n"}),
    ("Fermé", {"closed": True}),
]


def _fill(db: Database) -> None:
    with db.write() as session:
        commune(session, "16015", "Angoulême", 45.6484, 0.1562, ("16000", "16001"))
        for i, (name, changes) in enumerate(ROWS, 1):
            kinds = changes.get(
                "kinds", (ServiceKind.SAFE_DIGITAL_USE, ServiceKind.ADMINISTRATIVE_PROCEDURES)
            )
            row = factories.structure(
                session, name, lat=changes.get("lat", 45.65), lon=changes.get("lon", 0.16), kinds=kinds
            )
            row.street = f"{i} rue des Tests"  # the factory numbers streets across backends
            for offering, fee in zip(row.offerings, changes.get("fees", ()), strict=False):
                offering.fees = fee.value
            for field in ("street", "city", "postal_code", "summary", "pivot", "standard", "phone"):
                if field in changes:
                    setattr(row, field, changes[field])
            for field in ("address_complement", "opening_hours", "description", "source"):
                if field in changes:
                    setattr(row, field, changes[field])
            if "raw_latitude" in changes:
                row.latitude = changes["raw_latitude"]
            if "set_commune_code" in changes:
                row.commune_code = changes["set_commune_code"]
            if changes.get("closed"):
                row.closed_at = datetime(2026, 1, 1, tzinfo=UTC)
            row.source_updated_on = date(2025, 6, 1)


def _export(db: Database, batch_size: int) -> str:
    return "".join(csv_chunks(db, None, batch_size=batch_size))


def _python_export(db: Database, batch_size: int) -> str:
    texts, after = [export.CSV_HEADER], 0
    while True:
        with db.read() as session:
            batch = export.python_batch(session, after, None, batch_size)
        texts.append(batch.text)
        if batch.last_id is None:
            return "".join(texts)
        after = batch.last_id


# Named like the PostGIS half of the suite, so that conftest treats them alike when PostGIS is absent.
@pytest.fixture(params=["spatialite-postgis"])
def both(request: pytest.FixtureRequest) -> Iterator[dict[str, Database]]:
    assert PG_URL is not None, "this test compares the two backends: AIGUILLAGE_TEST_POSTGRES_URL is needed"
    databases = {
        backend: Database.from_settings(
            load_settings(database_url=request.getfixturevalue(f"_{backend}_url"))
        )
        for backend in ("spatialite", "postgis")
    }
    for database in databases.values():
        _empty(database)
    yield databases
    for database in databases.values():
        database.dispose()


def test_both_writers_and_both_backends_give_the_same_bytes(both: dict[str, Database]) -> None:
    for database in both.values():
        _fill(database)
    postgis = _export(both["postgis"], 4)
    # PostgreSQL wrote some records itself, and Python the others: the border rows are in both groups.
    with both["postgis"].read() as session:
        first = export.standard_batch(session, 0, None, 100)
        plain = session.execute(
            export._PG_RECORDS[False], {**export._SQL_PARAMS, "after": 0, "size": 100}
        ).all()
    written_by_sql = sum(1 for _, line in plain if line)
    by_python = sum(1 for _, line in plain if line is None)  # formulas, phones, published fields, 5e-05
    assert written_by_sql >= 15 and by_python >= 5
    assert first.text == postgis.removeprefix(export.CSV_HEADER)
    assert postgis == _python_export(both["postgis"], 4) == _python_export(both["postgis"], 100)
    assert postgis == _export(both["spatialite"], 4) == _export(both["spatialite"], 3)
    names = [line.split('","')[2] for line in postgis.split("\r\n")[1:] if line.startswith('"U3')]
    assert "Sans rue" not in names and "Fermé" not in names
    assert {"Deux espaces", "Espace insécable", "'=HYPERLINK(1)", 'Association ""Le Lien""'} <= set(names)
    assert len(names) == len(ROWS) - 2


def test_the_database_writes_the_ids_python_writes(both: dict[str, Database]) -> None:
    with both["postgis"].read() as session:
        for pk in (1, 7, 12, 255, 65_536, 2_147_483_647):
            written = session.scalar(text(f"SELECT {global_id_sql('Structure', ':pk')}"), {"pk": pk})
            assert written == to_global_id("Structure", pk)
