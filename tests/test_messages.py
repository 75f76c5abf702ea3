"""Messages that said something else than what happened, and a file cut short that was half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.database import Database
from batch.imports import import_lieux
from models import Structure
from tests.conftest import GQL

HEADER = "id,nom,commune,code_postal,adresse,services,source,date_maj"
ROWS = [
    'a1,Espace numérique,Angoulême,16000,1 rue des Tests,"Prendre en main un ordinateur",test,2023-01-01',
    'a2,Médiathèque,Angoulême,16000,2 rue des Tests,"Prendre en main un ordinateur",test,2023-01-01',
    'a3,Tiers-lieu,Angoulême,16000,3 rue des Tests,"Prendre en main un ordinateur",test,2023-01-01',
]


def structures(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Structure)) or 0)


def test_radius_message_shows_what_was_received(gql: GQL, db: Database) -> None:
    body = gql(
        "{ nearbyOfferings(near: {point: {latitude: 45.6, longitude: 0.1}}, radiusKm: 100.0000001) { pageInfo { hasNextPage } } }"
    )
    message = body["errors"][0]["message"]
    assert "au plus 100, reçu 100.0000001" in message, message


def test_null_island_is_named_for_what_it_is(gql: GQL, db: Database) -> None:
    body = gql("{ nearbyOfferings(near: {point: {latitude: 0, longitude: 0}}) { pageInfo { hasNextPage } } }")
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "near.point"}
    assert "(0, 0)" in error["message"] and "latitude entre" not in error["message"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_with_a_bom_are_read(db: Database, tmp_path: Path, codec: str) -> None:
    path = tmp_path / "lieux.csv"
    text = "\n".join([HEADER, *ROWS]) + "\n"
    bom = {"utf-16-be": "\ufeff"}.get(codec, "")  # Python's utf-16 and utf-32 write their BOM themselves
    path.write_bytes((bom + text).encode(codec))
    report = import_lieux(db, [path])
    assert report.ok, report.files[0].failed
    assert report.files[0].taken == 3
    assert structures(db) == 3


def test_utf16_without_a_bom_is_refused_naming_the_encoding(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode("utf-16-le"))
    (file_report,) = import_lieux(db, [path]).files
    assert file_report.failed is not None and "UTF-16" in file_report.failed, file_report.failed
    assert "format inconnu" not in file_report.failed
    assert structures(db) == 0


@pytest.mark.parametrize(
    "cut",
    [
        ROWS[2][:40],  # the last line cut in the middle of a field: too few fields
        ROWS[2][: ROWS[2].index('"') + 10],  # cut inside a quoted field
    ],
)
def test_a_csv_cut_short_is_refused_whole(db: Database, tmp_path: Path, cut: str) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("\n".join([HEADER, ROWS[0], ROWS[1], cut]), encoding="utf-8")
    report = import_lieux(db, [path])
    (file_report,) = report.files
    assert not report.ok
    assert file_report.failed is not None and "fichier tronqué" in file_report.failed, file_report.failed
    assert file_report.taken == 0
    assert structures(db) == 0


def test_a_short_row_inside_a_complete_file_is_only_that_row(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("\n".join([HEADER, ROWS[0], ROWS[2][:40], ROWS[1]]) + "\n", encoding="utf-8")
    report = import_lieux(db, [path])
    assert report.ok and report.files[0].taken == 2 and len(report.files[0].refused) == 1
    # A complete file may lack its final line break.
    again = tmp_path / "sans-fin.csv"
    again.write_text("\n".join([HEADER, *ROWS]), encoding="utf-8")
    assert import_lieux(db, [again]).ok


def test_a_deeply_nested_json_file_is_refused_clearly(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "lieux.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (file_report,) = import_lieux(db, [path]).files
    assert file_report.failed is not None and "trop imbriqué" in file_report.failed
