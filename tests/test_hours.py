"""« Ouvert maintenant ? »: openingStatus and the openAt filter, in each place's own time zone, both backends."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.database import Database
from batch.imports import import_lieux
from batch.imports.hours import osm_hours
from models import OpenInterval, Structure
from models.hours import time_zone_of, weekly_intervals
from resolvers.hours import refresh_open_intervals
from tests import factories
from tests.conftest import GQL

WEEKDAYS = "Mo-Fr 09:00-12:00,14:00-17:00"
# (name, commune, postal code, latitude, longitude): one place per zone of the tests.
PLACES = {
    "angouleme": ("16015", "16000", 45.65, 0.16),
    "saint-denis": ("97411", "97400", -20.88, 55.45),
    "noumea": ("98818", "98800", -22.27, 166.44),
}


def _place(db: Database, name: str, hours: str | None, where: str | None = None) -> int:
    commune, postal, lat, lon = PLACES[where or name]
    with db.write() as session:
        row = factories.structure(session, name, lat=lat, lon=lon, commune_code=commune, postal_code=postal)
        row.opening_hours = hours
        session.flush()
        refresh_open_intervals(session, [row.id])
        return row.id


STATUS = """query($id: ID!, $at: DateTime) {
  structure(id: $id) { openingStatus(at: $at) { isOpen nextChange timeZone } }
}"""
OPEN_AT = """query($at: DateTime!) {
  structures(filter: {openAt: $at}, first: 50) { totalCount edges { node { name } } }
}"""


def _status(gql: GQL, pk: int, at: str) -> dict[str, Any] | None:
    from resolvers.ids import to_global_id

    return gql.data(STATUS, {"id": to_global_id("Structure", pk), "at": at})["structure"]["openingStatus"]


def _open_names(gql: GQL, at: str) -> list[str]:
    data = gql.data(OPEN_AT, {"at": at})["structures"]
    names = sorted(e["node"]["name"] for e in data["edges"])
    assert data["totalCount"] == len(names)
    return names


def test_time_zones_of_departements() -> None:
    assert time_zone_of("16") == time_zone_of("2A") == time_zone_of(None) == "Europe/Paris"
    assert time_zone_of("974") == "Indian/Reunion"
    assert time_zone_of("988") == "Pacific/Noumea"
    assert time_zone_of("973") == "America/Cayenne"


def test_weekly_intervals_are_conservative() -> None:
    today = date(2026, 11, 28)
    monday = weekly_intervals(WEEKDAYS, today)
    assert monday is not None
    assert monday.week[:2] == ((540, 720), (840, 1020)) and len(monday.week) == 10
    assert monday.holiday == ()  # nothing said about holidays: closed on them
    with_ph = weekly_intervals("Mo-Fr 09:00-12:00; PH 10:00-11:00", today)
    assert with_ph is not None and with_ph.holiday == ((600, 660),)
    # Every other week: not open every week, so never open for the SQL filter.
    alternate = weekly_intervals("week 1-53/2 Mo 09:00-12:00", today)
    assert alternate is not None and alternate.week == ()
    # Across midnight and across Sunday night.
    night = weekly_intervals("Su 22:00-02:00", today)
    assert night is not None and night.week == ((0, 120), (9960, 10080))
    assert weekly_intervals("le mardi matin", today) is None


def test_mainland_reunion_and_new_caledonia_around_opening_and_closing(db: Database, gql: GQL) -> None:
    ids = {name: _place(db, name, WEEKDAYS) for name in PLACES}
    _place(db, "unreadable", "le mardi matin, sur rendez-vous", where="angouleme")
    _place(db, "no hours", None, where="angouleme")

    # Monday 30 November 2026. Angoulême is UTC+1, Saint-Denis UTC+4, Nouméa UTC+11.
    cases = [
        # Nouméa opens at 09:00 local = Sunday 22:00 UTC; the others are still in Sunday night.
        ("2026-11-29T21:59:00Z", []),
        ("2026-11-29T22:00:00Z", ["noumea"]),
        # Nouméa closes for lunch at 12:00 local = 01:00 UTC.
        ("2026-11-30T00:59:00Z", ["noumea"]),
        ("2026-11-30T01:00:00Z", []),
        # Nouméa's afternoon (14:00-17:00 local = 03:00-06:00 UTC) meets Saint-Denis' opening at 09:00 local.
        ("2026-11-30T02:59:00Z", []),
        ("2026-11-30T03:00:00Z", ["noumea"]),
        ("2026-11-30T04:59:00Z", ["noumea"]),
        ("2026-11-30T05:00:00Z", ["noumea", "saint-denis"]),
        ("2026-11-30T05:59:00Z", ["noumea", "saint-denis"]),
        ("2026-11-30T06:00:00Z", ["saint-denis"]),
        # Angoulême opens at 09:00 local = 08:00 UTC; Saint-Denis closes at 12:00 local = 08:00 UTC.
        ("2026-11-30T07:59:00Z", ["saint-denis"]),
        ("2026-11-30T08:00:00Z", ["angouleme"]),
        # The same instant written with another offset.
        ("2026-11-30T12:00:00+04:00", ["angouleme"]),
        # Angoulême closes at 17:00 local = 16:00 UTC.
        ("2026-11-30T15:59:00Z", ["angouleme"]),
        ("2026-11-30T16:00:00Z", []),
    ]
    for at, expected in cases:
        assert _open_names(gql, at) == expected, at
        for name, pk in ids.items():
            status = _status(gql, pk, at)
            assert status is not None and status["isOpen"] == (name in expected), (at, name)

    reunion = _status(gql, ids["saint-denis"], "2026-11-30T04:59:00Z")
    assert reunion == {
        "isOpen": False,
        "nextChange": "2026-11-30T05:00:00+00:00",
        "timeZone": "Indian/Reunion",
    }
    noumea = _status(gql, ids["noumea"], "2026-11-30T00:30:00Z")
    assert noumea == {"isOpen": True, "nextChange": "2026-11-30T01:00:00+00:00", "timeZone": "Pacific/Noumea"}
    # Friday evening: next opening on Monday morning.
    friday = _status(gql, ids["angouleme"], "2026-12-04T16:30:00Z")
    assert friday == {"isOpen": False, "nextChange": "2026-12-07T08:00:00+00:00", "timeZone": "Europe/Paris"}

    with db.read() as session:
        unreadable, missing = (
            session.scalars(select(Structure.id).where(Structure.name == n)).one()
            for n in ("unreadable", "no hours")
        )
    assert _status(gql, unreadable, "2026-11-30T09:00:00Z") is None
    assert _status(gql, missing, "2026-11-30T09:00:00Z") is None


def test_daylight_saving_time_and_public_holidays(db: Database, gql: GQL) -> None:
    _place(db, "angouleme", WEEKDAYS)
    _place(db, "holidays too", "Mo-Fr 09:00-12:00; PH 10:00-11:00", where="angouleme")
    # Tuesday 23 March 2027, winter time: 09:00 local is 08:00 UTC; Tuesday 30 March, after the change to
    # summer time (28 March), 07:00 UTC. (Monday 29 March 2027 is Easter Monday.)
    assert _open_names(gql, "2027-03-23T07:00:00Z") == []
    assert _open_names(gql, "2027-03-23T08:00:00Z") == ["angouleme", "holidays too"]
    assert _open_names(gql, "2027-03-30T06:59:00Z") == []
    assert _open_names(gql, "2027-03-30T07:00:00Z") == ["angouleme", "holidays too"]
    assert _open_names(gql, "2027-03-29T07:00:00Z") == []
    assert _open_names(gql, "2027-03-29T08:00:00Z") == ["holidays too"]
    # Friday 25 December 2026 (UTC+1): public holiday. Hours that say nothing of holidays are closed then.
    assert _open_names(gql, "2026-12-25T09:30:00Z") == ["holidays too"]
    assert _open_names(gql, "2026-12-25T08:30:00Z") == []
    status = _status(gql, 1, "2026-12-25T09:30:00Z")
    assert status is not None and status["isOpen"] is False


def test_nearby_offerings_open_at(db: Database, gql: GQL) -> None:
    _place(db, "angouleme", WEEKDAYS)
    _place(db, "evening", "Mo-Fr 17:00-20:00", where="angouleme")
    query = """query($at: DateTime) {
      nearbyOfferings(near: {point: {latitude: 45.65, longitude: 0.16}}, radiusKm: 5, openAt: $at) {
        edges { node { structure { name } } }
      }
    }"""

    def names(at: str | None) -> list[str]:
        edges = gql.data(query, {"at": at})["nearbyOfferings"]["edges"]
        return sorted(e["node"]["structure"]["name"] for e in edges)

    assert names(None) == ["angouleme", "evening"]
    assert names("2026-11-30T09:00:00Z") == ["angouleme"]
    assert names("2026-11-30T17:30:00Z") == ["evening"]
    assert names("2026-11-29T09:00:00Z") == []
    body = gql(query.replace("$at: DateTime", "$at: DateTime"), {"at": "2026-11-30T09:00:00"})
    assert body["errors"] and "openAt" in body["errors"][0]["message"]


def test_import_reads_hours_and_reports_unreadable_ones(db: Database, tmp_path: Path) -> None:
    rows = [
        {
            "id": "ok",
            "nom": "A",
            "code_postal": "16000",
            "commune": "Angoulême",
            "adresse": "1 rue",
            "services": "Prendre en main un ordinateur",
            "horaires": "Mo-Fr 09:00-12:00",
        },
        {
            "id": "french",
            "nom": "B",
            "code_postal": "16000",
            "commune": "Angoulême",
            "adresse": "1 rue",
            "services": "Prendre en main un ordinateur",
            "horaires": "Mo-Fr 9h-12h30,13h30-17h",
        },
        {
            "id": "text",
            "nom": "C",
            "code_postal": "16000",
            "commune": "Angoulême",
            "adresse": "1 rue",
            "services": "Prendre en main un ordinateur",
            "horaires": "Du lundi au vendredi de 9h à 12h",
        },
    ]
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    report = import_lieux(db, [path]).files[0]
    assert report.taken == 3 and report.details["hours_unreadable"] == 1
    warnings = {(w.row, w.id): w.reason for w in report.warnings}
    assert "lus comme « Mo-Fr 09:00-12:30,13:30-17:00 »" in warnings[(2, "french")]
    assert "illisibles" in warnings[(3, "text")] and "Du lundi au vendredi" in warnings[(3, "text")]
    with db.read() as session:
        hours = {k: v for k, v in session.execute(select(Structure.source_id, Structure.opening_hours))}
        with_intervals = set(
            session.scalars(
                select(Structure.source_id).join(OpenInterval, OpenInterval.structure_id == Structure.id)
            )
        )
    assert hours["french"] == "Mo-Fr 09:00-12:30,13:30-17:00"
    assert hours["text"] == "Du lundi au vendredi de 9h à 12h"
    assert with_intervals == {"ok", "french"}
    assert osm_hours(None).value is None
