"""Import of communes: La Poste points and postal codes, découpage administratif names, PLM parents."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from app.database import Database
from batch.imports import import_communes
from batch.imports.lieux import CommuneIndex
from models import Commune, PostalCode
from tests.conftest import SHARED_DATA

LAPOSTE = SHARED_DATA / "communes" / "laposte_hexasmal_2023.csv"
DECOUPAGE = SHARED_DATA / "communes" / "decoupage-administratif-6.0.0-communes.json"
HEADER = "code_commune_insee;nom_de_la_commune;code_postal;ligne_5;libelle_d_acheminement;coordonnees_geographiques\n"


def _communes(db: Database) -> dict[str, tuple[str, str | None, float | None, float | None]]:
    with db.read() as session:
        return {
            code: (name, department, lat, lon)
            for code, name, department, lat, lon in session.execute(
                select(
                    Commune.code, Commune.name, Commune.department_code, Commune.latitude, Commune.longitude
                )
            )
        }


def _pairs(db: Database) -> set[tuple[str, str]]:
    with db.read() as session:
        return {(p, c) for p, c in session.execute(select(PostalCode.postal_code, PostalCode.commune_code))}


def test_real_files_exact_counts_plm_and_idempotent(db: Database) -> None:
    calls: list[tuple[int, int]] = []
    report = import_communes(db, LAPOSTE, DECOUPAGE, progress=lambda done, total: calls.append((done, total)))
    assert report.ok, report.summary()
    laposte, decoupage = report.files
    # 35079 La Poste codes + the three PLM parents; découpage brings 12 communes created after mid-2023
    # and 5 districts of the TAAF, without points.
    assert (laposte.format, laposte.rows, laposte.taken, laposte.updated, len(laposte.refused)) == (
        "laposte-hexasmal-csv",
        39193,
        35082,
        0,
        0,
    )
    assert (decoupage.format, decoupage.rows, decoupage.taken, len(decoupage.refused)) == (
        "decoupage-administratif-json",
        37590,
        17,
        0,
    )
    assert laposte.details == {"postal_codes_added": 35625}
    assert decoupage.details == {"records_not_imported": 2576, "postal_codes_added": 23}
    assert calls[-1] == (76783, 76783)

    communes = _communes(db)
    assert len(communes) == 35099
    assert sum(1 for _, _, lat, _ in communes.values() if lat is None) == 17
    name, department, lat, lon = communes["75056"]
    assert (name, department) == ("Paris", "75")
    assert lat is not None and lon is not None and abs(lat - 48.8603) < 0.001 and abs(lon - 2.3445) < 0.001
    assert communes["13055"][0] == "Marseille" and communes["69123"][0] == "Lyon"
    assert communes["75101"][0] == "Paris 1er Arrondissement"
    assert communes["2A004"][:2] == ("Ajaccio", "2A")
    assert communes["01001"][0] == "L'Abergement-Clémenciat"

    with db.read() as session:
        names = set(
            session.scalars(
                select(Commune.name)
                .join(PostalCode, PostalCode.commune_code == Commune.code)
                .where(PostalCode.postal_code == "75001")
            )
        )
        assert names == {"Paris", "Paris 1er Arrondissement"}
        assert session.scalar(select(func.count()).select_from(PostalCode)) == 35648
        index = CommuneIndex.load(session)
    assert index.resolve(None, "75001", "PARIS") == "75056"

    again = import_communes(db, LAPOSTE, DECOUPAGE)
    assert [(f.taken, f.updated, f.unchanged, f.details["postal_codes_added"]) for f in again.files] == [
        (0, 0, 35082, 0),
        (0, 0, 17, 0),
    ]


def test_small_files_names_plm_refusals_and_all_or_nothing(db: Database, tmp_path: Path) -> None:
    laposte = tmp_path / "laposte.csv"
    laposte.write_text(
        HEADER + "75101;PARIS 01;75001;;PARIS;48.86,2.34\n"
        "75102;PARIS 02;75002;;PARIS;48.87,2.35\n"
        "16015;ANGOULEME;16000;;ANGOULEME;45.64,0.15\n"
        "16015;ANGOULEME;16001;;ANGOULEME;45.64,0.15\n"
        "ABCDE;NULLE PART;16000;;NULLE PART;45.0,0.1\n"
        "16001;ABZAC;165;;ABZAC;46.04,0.67\n"
        "16002;AIGRE;16140;;AIGRE;\n",
        encoding="utf-8",
    )
    first = import_communes(db, laposte)
    assert [(i.row, i.reason) for i in first.files[0].refused] == [
        (5, "code_commune_insee « ABCDE » invalide"),
        (6, "code_postal « 165 » invalide (5 chiffres attendus)"),
    ]
    assert (first.files[0].taken, first.files[0].details) == (5, {"postal_codes_added": 7})
    communes = _communes(db)
    assert communes["75056"] == ("Paris", "75", (48.86 + 48.87) / 2, (2.34 + 2.35) / 2)
    assert communes["16002"] == ("AIGRE", "16", None, None)
    assert {("75001", "75056"), ("75002", "75056"), ("16001", "16015")} <= _pairs(db)

    decoupage = tmp_path / "communes.json"
    records = [
        {
            "code": "16015",
            "nom": "Angoulême",
            "type": "commune-actuelle",
            "departement": "16",
            "codesPostaux": ["16000"],
        },
        {"code": "16015", "nom": "Angoulême déléguée", "type": "commune-deleguee"},
        {"code": "75101", "nom": "Paris 1er Arrondissement", "type": "arrondissement-municipal"},
    ]
    decoupage.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    named = import_communes(db, laposte, decoupage)
    assert [(f.updated, f.unchanged) for f in named.files] == [(2, 3), (0, 0)]
    assert _communes(db)["16015"] == ("Angoulême", "16", 45.64, 0.15)

    # La Poste alone again: its upper-case names do not replace the accented ones.
    alone = import_communes(db, laposte)
    assert (alone.files[0].updated, alone.files[0].unchanged) == (0, 5)
    assert _communes(db)["75101"][0] == "Paris 1er Arrondissement"

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([records[0], "oops"]), encoding="utf-8")
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "16089;CHATEAUBERNARD;16100;;CHATEAUBERNARD;45.67,-0.32\n", encoding="utf-8")
    failed = import_communes(db, other, broken)
    assert not failed.ok
    assert failed.files[1].failed == "élément 2 du tableau : un objet JSON est attendu, trouvé str"
    assert failed.files[0].failed is not None and "non écrit" in failed.files[0].failed
    assert "16089" not in _communes(db)

    unknown = import_communes(db, SHARED_DATA / "france-services" / "liste-fs-20221201.csv")
    assert unknown.files[0].failed is not None and unknown.files[0].failed.startswith("format inconnu")
