"""Imports read a CSV file in chunks: the same records, row numbers, decisions and reports as reading it whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.database import Database
from batch.imports import import_lieux, lieux
from batch.imports.readers import CsvStream, FileRefused, decode, read_csv, read_lieux_file
from models import ServiceOffering, Structure

HEADER = "id;nom;commune;code_postal;adresse;services;source;date_maj;itinerance;frais_a_charge"


def _row(n: int, **changes: str) -> str:
    values = {
        "id": f"s{n}",
        "nom": f"Lieu n°{n} « Éléonore »",
        "commune": "Angoulême",
        "code_postal": "16000",
        "adresse": f"{n} rue de l'Évêché",
        "services": "Aide aux démarches administratives|Accès internet et matériel informatique",
        "source": "reseau",
        "date_maj": "2024-01-01",
        "itinerance": "Fixe",
        "frais_a_charge": "Gratuit",
    }
    values.update(changes)
    return ";".join(values.values())


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_the_stream_reads_what_the_whole_text_reads(tmp_path: Path, codec: str) -> None:
    text = "\r\n".join(
        [
            HEADER,
            _row(1),
            "",  # a blank line: skipped, not numbered
            _row(2, nom='"Sur deux\r\nlignes; avec ""guillemets"""'),
            "s3;trop;court",  # a row with too few fields: refused with its number
            _row(4),
        ]
    )
    path = tmp_path / "lieux.csv"
    path.write_bytes(text.encode(codec))
    whole, _ = decode(path)
    header, records = read_csv(whole)
    stream, streamed_header, count = CsvStream.open(path)
    assert streamed_header == header and count == len(records) == 4
    assert list(stream.records()) == records
    assert [r.row for r in records] == [1, 2, 3, 4] and records[2].problem is not None
    assert records[1].data["nom"] == 'Sur deux\r\nlignes; avec "guillemets"'
    parsed = read_lieux_file(path)
    assert (parsed.rows, parsed.encoding) == (4, {"cp1252": "cp1252", "utf-16": "utf-16-le"}.get(codec))


def test_a_stream_cut_short_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("\n".join([HEADER, _row(1), _row(2)[:30]]), encoding="utf-8")
    with pytest.raises(FileRefused, match="fichier tronqué"):
        read_lieux_file(path)


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Structure)) or 0),
            int(session.scalar(select(func.count()).select_from(ServiceOffering)) or 0),
        )


def test_chunks_keep_row_numbers_duplicates_and_idempotence(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lieux, "LOAD_CHUNK", 3)
    monkeypatch.setattr(lieux, "FLUSH_EVERY", 2)
    rows = [_row(n) for n in range(1, 11)]
    rows[7] = _row(2, nom="Doublon")  # row 8 repeats row 2's id, two chunks later
    rows[8] = _row(9, code_postal="", commune="")  # row 9: no locality, refused
    path = tmp_path / "lieux.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    calls: list[tuple[int, int]] = []
    first = import_lieux(db, [path], progress=lambda done, total: calls.append((done, total))).files[0]
    assert first.failed is None
    assert (first.rows, first.taken, first.updated, first.unchanged) == (10, 8, 0, 0)
    assert [(issue.row, issue.id) for issue in first.refused] == [(8, "s2"), (9, "s9")]
    assert "déjà vu à la ligne 2" in first.refused[0].reason
    assert calls[-1] == (10, 10)
    assert _counts(db) == (8, 16)
    with db.read() as session:
        names = {key: name for key, name in session.execute(select(Structure.source_id, Structure.name))}
        stamps = set(session.scalars(select(Structure.updated_at)))
    assert names["s2"] == "Lieu n°2 « Éléonore »" and len(stamps) == 1  # one commit-time stamp

    again = import_lieux(db, [path]).files[0]
    assert (again.taken, again.updated, again.unchanged, len(again.refused)) == (0, 0, 8, 2)
    assert _counts(db) == (8, 16)


def test_a_snapshot_in_chunks_counts_the_places_open_before_the_file(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lieux, "LOAD_CHUNK", 2)
    path = tmp_path / "all.csv"
    path.write_text("\n".join([HEADER, *(_row(n) for n in range(1, 6))]) + "\n", encoding="utf-8")
    assert import_lieux(db, [path]).ok
    # Two of the five go, two new come: 2 of the 5 open before the file (40 %), refused whole.
    path.write_text("\n".join([HEADER, *(_row(n) for n in (1, 2, 3, 6, 7))]) + "\n", encoding="utf-8")
    refused = import_lieux(db, [path], snapshot=True).files[0]
    assert refused.failed is not None and "fermerait 2 des 5 lieux ouverts" in refused.failed
    assert _counts(db) == (5, 10)
    forced = import_lieux(db, [path], snapshot=True, allow_mass_close=True).files[0]
    assert (forced.taken, forced.details["closed"]) == (2, 2)


def test_a_file_changed_between_its_two_readings_is_refused(db: Database, tmp_path: Path) -> None:
    """The file is checked and counted, then read again to be written: if it changed in between, the rows
    written would not be those checked, so the import is refused and nothing is written."""
    path = tmp_path / "lieux.csv"
    path.write_text("\n".join([HEADER, _row(1), _row(2), _row(3)]) + "\n", encoding="utf-8")
    stream, _, rows = CsvStream.open(path)
    assert rows == 3
    path.write_text("\n".join([HEADER, _row(1), _row(2)]) + "\n", encoding="utf-8")  # two complete records
    with pytest.raises(FileRefused, match="a changé pendant l'import"):
        list(stream.records())

    opened = CsvStream.open

    def open_then_change(target: Path) -> tuple[CsvStream, list[str], int]:
        result = opened(target)
        target.write_text("\n".join([HEADER, _row(1), _row(2), _row(40)]) + "\n", encoding="utf-8")
        return result

    path.write_text("\n".join([HEADER, _row(1), _row(2), _row(3)]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CsvStream, "open", staticmethod(open_then_change))
        report = import_lieux(db, [path]).files[0]
    assert report.failed is not None and "a changé pendant l'import" in report.failed
    assert _counts(db) == (0, 0)
