"""Snapshot imports close the places their source stopped publishing; closed places are for partners only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.database import Database
from batch.imports import import_lieux
from models import Structure
from tests.conftest import GQL


def _row(n: int) -> dict[str, Any]:
    return {
        "id": f"p{n}",
        "nom": f"Lieu {n}",
        "commune": "Angoulême",
        "code_postal": "16000",
        "code_insee": "16015",
        "adresse": f"{n} rue des Tests",
        "services": "Prendre en main un ordinateur",
        "source": "reseau",
        "date_maj": "2024-01-01",
        "latitude": 45.65 + n / 1000,
        "longitude": 0.16,
    }


def _file(tmp_path: Path, name: str, numbers: range | list[int]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps([_row(n) for n in numbers], ensure_ascii=False), encoding="utf-8")
    return path


def _state(db: Database) -> dict[str, tuple[bool, Any]]:
    with db.read() as session:
        return {
            source_id: (closed is not None, updated)
            for source_id, closed, updated in session.execute(
                select(Structure.source_id, Structure.closed_at, Structure.updated_at)
            )
        }


LIST = """query($closed: Boolean, $since: DateTime) {
  structures(filter: {includeClosed: $closed, updatedSince: $since}, first: 100) {
    totalCount edges { node { name closedAt } }
  }
}"""
NEARBY = """{ nearbyOfferings(near: {point: {latitude: 45.65, longitude: 0.16}}, radiusKm: 10, first: 100) {
  edges { node { structure { name } } } } }"""


def test_snapshot_closes_refuses_mass_closing_and_reopens(db: Database, gql: GQL, tmp_path: Path) -> None:
    assert import_lieux(db, [_file(tmp_path, "all.json", range(10))]).ok
    before = _state(db)

    # A plain import of part of the list closes nothing.
    part = import_lieux(db, [_file(tmp_path, "part.json", range(5))]).files[0]
    assert part.failed is None and "closed" not in part.details and _state(db) == before

    # The snapshot lacks p9: closed (10 % of the source), with a new updatedAt.
    report = import_lieux(db, [_file(tmp_path, "nine.json", range(9))], snapshot=True).files[0]
    assert report.failed is None and report.details["closed"] == 1 and report.unchanged == 9
    after = _state(db)
    assert after["p9"][0] and after["p9"][1] > before["p9"][1]
    assert all(after[f"p{n}"] == before[f"p{n}"] for n in range(9))

    # Closed: not on the map, nearby, GeoJSON or CSV; partners asking includeClosed see it, with closedAt.
    shown = gql.data(LIST, {})["structures"]
    assert shown["totalCount"] == 9 and "Lieu 9" not in [e["node"]["name"] for e in shown["edges"]]
    since = before["p9"][1].isoformat()
    sync = gql.data(LIST, {"closed": True, "since": since})["structures"]["edges"]
    assert [(e["node"]["name"], e["node"]["closedAt"] is not None) for e in sync] == [("Lieu 9", True)]
    assert gql.data(LIST, {"since": since})["structures"]["edges"] == []
    nearby = {e["node"]["structure"]["name"] for e in gql.data(NEARBY)["nearbyOfferings"]["edges"]}
    assert len(nearby) == 9 and "Lieu 9" not in nearby
    geojson = gql.client.get("/geo/structures.geojson", params={"bbox": "0,45,1,46"}).json()
    assert len(geojson["features"]) == 9
    assert "Lieu 9" not in {f["properties"]["name"] for f in geojson["features"]}
    csv_text = gql.client.get("/exports/lieux.csv").text
    assert "Lieu 8" in csv_text and "Lieu 9" not in csv_text

    # A snapshot that would close 4 of the 9 open places (more than 20 %) is refused whole.
    truncated = _file(tmp_path, "truncated.json", [0, 1, 2, 3, 4, 10])
    refused = import_lieux(db, [truncated], snapshot=True).files[0]
    assert refused.failed is not None and "fermerait 4 des 9 lieux ouverts" in (refused.failed or "")
    assert "--allow-mass-close" in (refused.failed or "")
    assert _state(db) == after  # nothing written, not even the new p10
    forced = import_lieux(db, [truncated], snapshot=True, allow_mass_close=True).files[0]
    assert forced.failed is None and forced.details["closed"] == 4 and forced.taken == 1

    # Published again (in any import): reopened, with a new updatedAt.
    back = import_lieux(db, [_file(tmp_path, "back.json", [9])]).files[0]
    assert back.failed is None and back.details["reopened"] == 1
    state = _state(db)
    assert not state["p9"][0] and state["p9"][1] > after["p9"][1]
    assert gql.data(LIST, {})["structures"]["totalCount"] == 7  # p0-p4, p9, p10


def test_refused_rows_are_not_closures(db: Database, tmp_path: Path) -> None:
    assert import_lieux(db, [_file(tmp_path, "all.json", range(3))]).ok
    rows = [_row(0), _row(1), {**_row(2), "code_postal": "", "code_insee": ""}]
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    report = import_lieux(db, [path], snapshot=True).files[0]
    assert report.failed is None and len(report.refused) == 1 and report.details["closed"] == 0
    assert not _state(db)["p2"][0]
