"""Import of places: the real open-data files, the v0.1 → v1 mapping, updates, failures, points."""

from __future__ import annotations

import csv
import itertools
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.database import Database
from batch.imports import ImportReport, clean, import_communes, import_lieux, lieux, places, vocab
from batch.imports.hours import day_ranges, opening_hours
from batch.imports.readers import FORMAT_V0_JSON
from models import ServiceKind, ServiceOffering, Structure
from models.standard import SERVICE_LABELS
from tests.conftest import SHARED_DATA

LIEUX_V0 = SHARED_DATA / "lieux-v0"
FRANCE_SERVICES = SHARED_DATA / "france-services" / "liste-fs-20221201.csv"
V1_EXAMPLE = SHARED_DATA / "schema" / "lieux-mediation-numerique-exemple-valide-v1.0.2.csv"
REAL_FILES = [
    LIEUX_V0 / "20230516-hub-du-sud-paca.json",
    LIEUX_V0 / "20230711-charente.json",
    LIEUX_V0 / "20231003-bus-france-services-charente.json",
    LIEUX_V0 / "cnfs-permanences-2022-07.json",
    LIEUX_V0 / "data-inclusion-lieux-2023-02.json",
    FRANCE_SERVICES,
]

# file name → (format, rows, taken, updated, stale, refused, warnings), measured on the first import in this
# order. The cnfs file of 2022-07 and data-inclusion of 2023-02 both publish 1484 conseillers numériques'
# permanences under the same (source, id), in two states: data-inclusion updates the 259 it dates later and
# leaves the 1225 it dates the same ("stale"), so that re-importing both never flips them back and forth.
# Its 240 "duplicate" ids are ids reused across sources (Hinaura 1003, siao 1003...): different places.
# Warnings: hours (French-style times rewritten, or unreadable: HOURS_UNREADABLE), v0.1 publics without a v1
# equivalent (« Public langues étrangères », « Handicaps psychiques »: 606 in the data-inclusion export), and
# nine texts starting like a spreadsheet formula ("@telier connecté udaf", "- Avenue Paul Mairat", bulleted
# presentations), kept as published and neutralised by the CSV export.
FIRST_IMPORT = {
    "20230516-hub-du-sud-paca.json": ("lieux-v0.1-json", 792, 792, 0, 0, 0, 15),
    "20230711-charente.json": ("lieux-v0.1-json", 188, 188, 0, 0, 0, 0),
    "20231003-bus-france-services-charente.json": ("lieux-v0.1-json", 12, 12, 0, 0, 0, 0),
    "cnfs-permanences-2022-07.json": ("lieux-v0.1-json", 2733, 2731, 0, 0, 2, 40),
    "data-inclusion-lieux-2023-02.json": ("lieux-v0.1-json", 3811, 2327, 259, 1225, 0, 731),
    "liste-fs-20221201.csv": ("france-services-csv", 2683, 2657, 0, 0, 26, 5),
}

HOURS_UNREADABLE = {
    "20230516-hub-du-sud-paca.json": 14,
    "20230711-charente.json": 0,
    "20231003-bus-france-services-charente.json": 0,
    "cnfs-permanences-2022-07.json": 35,
    "data-inclusion-lieux-2023-02.json": 118,
    "liste-fs-20221201.csv": 4,
}


def _counts(report: ImportReport) -> dict[str, tuple[Any, ...]]:
    return {
        Path(f.path).name: (f.format, f.rows, f.taken, f.updated, f.stale, len(f.refused), len(f.warnings))
        for f in report.files
    }


def _write_json(path: Path, rows: list[Any]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _v0(id_: str, **fields: Any) -> dict[str, Any]:
    row = {
        "id": id_,
        "nom": f"Lieu {id_}",
        "commune": "Angoulême",
        "code_postal": "16000",
        "adresse": "1 rue des Tests",
        "services": "Prendre en main un ordinateur",
        "pivot": "00000000000000",
        "source": "test",
        "date_maj": "2023-01-01",
    }
    row.update(fields)
    return {key: value for key, value in row.items() if value is not None}


def _structure(db: Database, source: str, source_id: str) -> Structure:
    with db.read() as session:
        return session.scalars(
            select(Structure)
            .where(Structure.source == source, Structure.source_id == source_id)
            .options(selectinload(Structure.offerings))
        ).one()


def _count(db: Database, model: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_real_files_exact_counts_then_unchanged(db: Database) -> None:
    calls: list[tuple[int, int]] = []
    first = import_lieux(db, REAL_FILES, progress=lambda done, total: calls.append((done, total)))

    assert first.ok
    assert _counts(first) == FIRST_IMPORT
    assert {Path(f.path).name: f.details["hours_unreadable"] for f in first.files} == HOURS_UNREADABLE
    assert calls[-1] == (10219, 10219)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))
    assert _count(db, Structure) == 8707
    for file_report in first.files:
        assert all(issue.reason.strip() and issue.row >= 1 for issue in file_report.refused)
    refused = {Path(f.path).name: [(i.row, i.id, i.reason) for i in f.refused] for f in first.files}
    assert [row for row, _, _ in refused["cnfs-permanences-2022-07.json"]] == [587, 890]
    assert "code_postal « 380000 » invalide" in refused["cnfs-permanences-2022-07.json"][0][2]
    assert all(
        "code_postal vide et pas de insee_com" in reason for _, _, reason in refused["liste-fs-20221201.csv"]
    )
    assert refused["liste-fs-20221201.csv"][0][:2] == (2315, "2696")

    # France Services: hours in OSM syntax, two kinds, free, fixed or roaming.
    fs = _structure(db, "france-services", "1")
    assert fs.opening_hours == "Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00"
    assert [o.kind for o in fs.offerings] == ["ADMINISTRATIVE_PROCEDURES", "INTERNET_AND_EQUIPMENT_ACCESS"]
    assert {o.fees for o in fs.offerings} == {"FREE"}
    assert fs.standard["itinerance"] == ["Fixe"] and fs.typology == "RFS"
    assert (fs.commune_code, fs.department_code) == ("01033", "01")
    assert _structure(db, "france-services", "3").standard["itinerance"] == ["Itinérant"]
    # A cell "07:30:12:30" cannot be read: no hours at all rather than a wrong week.
    assert _structure(db, "france-services", "temp_67").opening_hours is None
    # An APTIC bus accepts carnets; its OSM hours are kept as given.
    bus = _structure(db, "Bus France Services en Charente", "1")
    assert bus.opening_hours == "Mo 09:30-12:30,13:30-15:30; PH off"
    assert all(o.accepts_carnet for o in bus.offerings)

    with db.read() as session:
        stamps = {id_: at for id_, at in session.execute(select(Structure.id, Structure.updated_at))}
    second = import_lieux(db, REAL_FILES)
    assert {name: (c[2], c[3]) for name, c in _counts(second).items()} == dict.fromkeys(FIRST_IMPORT, (0, 0))
    assert sum(f.unchanged for f in second.files) == 8707
    third = import_lieux(db, [LIEUX_V0 / "data-inclusion-lieux-2023-02.json", FRANCE_SERVICES])
    assert [(f.taken, f.updated, f.unchanged, f.stale) for f in third.files] == [
        (0, 0, 2586, 1225),
        (0, 0, 2657, 0),
    ]
    fs_id = fs.id
    with db.read() as session:
        assert session.get(Structure, fs_id).updated_at == stamps[fs_id]  # type: ignore[union-attr]
        untouched = session.scalars(select(Structure).where(Structure.source == "france-services")).all()
        assert all(row.updated_at == stamps[row.id] for row in untouched)
    assert _count(db, Structure) == 8707


def test_v1_example_imports_with_its_services(db: Database) -> None:
    report = import_lieux(db, [V1_EXAMPLE])
    assert _counts(report) == {V1_EXAMPLE.name: ("lieux-v1.0.2-csv", 1, 1, 0, 0, 0, 0)}
    row = _structure(db, "Hubik", "structure-1")
    assert [o.kind for o in row.offerings] == [
        "EVERYDAY_DIGITAL_TOOLS",
        "PROFESSIONAL_INTEGRATION",
        "DIGITAL_LEISURE_AND_CREATION",
    ]
    offering = row.offerings[0]
    assert offering.fees == "PAID"  # "Gratuit sous condition|Payant": the least free
    assert (
        offering.modalities == "Dans un atelier collectif|À distance|En autonomie|Accompagnement individuel"
    )
    assert offering.accepts_carnet is False
    assert (offering.own_latitude, offering.own_longitude) == (None, None)
    assert (offering.latitude, offering.longitude) == (row.latitude, row.longitude) == (43.52609, 5.41423)
    assert (row.commune_code, row.department_code, row.postal_code, row.city) == (
        "51454",
        "51",
        "51100",
        "Reims",
    )
    assert row.email == "contact@laquincaillerie.tl|responsable@laquincaillerie.tl"
    assert row.website == "https://www.laquincaillerie.tl/|https://m.facebook.com/laquincaillerienumerique/"
    assert row.opening_hours == "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
    assert (row.pivot, row.typology, row.source_updated_on) == (
        "43493312300029",
        "TIERS_LIEUX|ASSO",
        date(2024, 4, 2),
    )
    assert row.standard["frais_a_charge"] == ["Gratuit sous condition", "Payant"]
    assert row.standard["prise_en_charge_specifique"] == [
        "Surdité",
        "Illettrisme",
        "Langues étrangères (anglais)",
    ]
    assert row.standard["itinerance"] == ["Itinérant"]
    assert row.standard["prise_rdv"] == ["https://www.rdv-solidarites.fr/"]
    assert row.is_operator is False


def test_v0_table_maps_every_fifteen_labels_and_v1_labels_verbatim() -> None:
    schema = json.loads((SHARED_DATA / "schema" / "lieux-mediation-numerique-schema-v0.1.1.json").read_text())
    pattern = next(f for f in schema["fields"] if f["name"] == "services")["constraints"]["pattern"]
    labels = re.search(r"\(\?:\^\|;\)\((.*)\)\)\+\$", pattern).group(1).split("|")  # type: ignore[union-attr]
    assert len(labels) == 15 and set(labels) == set(vocab.V0_SERVICES)
    assert all(isinstance(vocab.service_kind(label), ServiceKind) for label in labels)
    assert {vocab.service_kind(label) for label in labels} == set(ServiceKind) - {
        ServiceKind.SAFE_DIGITAL_USE
    }
    assert all(vocab.service_kind(label) is kind for kind, label in SERVICE_LABELS.items())
    assert vocab.service_kind("S’ÉQUIPER en matériel  informatique") is ServiceKind.AFFORDABLE_EQUIPMENT
    assert vocab.service_kind("Cours de cuisine") is None


def test_v0_separators_misspelt_column_and_carnet(db: Database, tmp_path: Path) -> None:
    rows = [
        _v0(
            "a",
            services="Prendre en main un ordinateur, Accompagner les démarches de santé, Créer avec le numérique",
            conditions_access="Gratuit sous condition : La gratuité est conditionnée à des critères (situation "
            "familiale, convention avec un organisme social...), Gratuit",
            labels_nationaux="CNFS, APTIC",
            modalites_accompagnement="Seul : j'ai accès à du matériel et une connexion;"
            "A ma place : une personne habilitée fait les démarches à ma place",
            publics_accueillis="Seniors (+ 65 ans);Adultes;Surdité",
            horaires="le mardi matin, sur rendez-vous",
            latitude=45.65,
            longitude=0.16,
        ),
        _v0("b", services="Accéder à du matériel;Utilisation sécurisée du numérique;Danser la gigue"),
    ]
    report = import_lieux(db, [_write_json(tmp_path / "lieux.json", rows)])
    assert _counts(report) == {"lieux.json": ("lieux-v0.1-json", 2, 2, 0, 0, 0, 2)}
    reasons = [w.reason for w in report.files[0].warnings]
    assert "« Danser la gigue » inconnu" in reasons[1] and "horaires « le mardi matin" in reasons[0]
    a = _structure(db, "test", "a")
    assert [o.kind for o in a.offerings] == [
        "ADMINISTRATIVE_PROCEDURES",
        "EVERYDAY_DIGITAL_TOOLS",
        "DIGITAL_LEISURE_AND_CREATION",
    ]
    assert {(o.fees, o.accepts_carnet, o.modalities) for o in a.offerings} == {
        ("FREE_UNDER_CONDITIONS", True, "En autonomie|Accompagnement individuel")
    }
    assert a.opening_hours == "le mardi matin, sur rendez-vous"
    assert a.standard == {
        "publics_specifiquement_adresses": ["Seniors"],
        "prise_en_charge_specifique": ["Surdité"],
        "frais_a_charge": ["Gratuit sous condition", "Gratuit"],
        "dispositif_programmes_nationaux": ["Conseillers numériques"],
        "autres_formations_labels": ["APTIC"],
        "modalites_accompagnement": ["En autonomie", "Accompagnement individuel"],
    }
    b = _structure(db, "test", "b")
    assert [o.kind for o in b.offerings] == ["SAFE_DIGITAL_USE", "INTERNET_AND_EQUIPMENT_ACCESS"]
    assert (b.latitude, b.longitude, b.department_code) == (None, None, "16")


def test_v0_csv_with_semicolons_is_detected(db: Database, tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "lieux.csv",
        [
            _v0("1", conditions_acces="Payant", code_postal="1200", code_insee=""),
            _v0("2", conditions_acces="", code_postal="", code_insee=""),
        ],
        delimiter=";",
    )
    report = import_lieux(db, [path])
    assert _counts(report) == {"lieux.csv": ("lieux-v0.1-csv", 2, 1, 0, 0, 1, 1)}
    assert report.files[0].refused[0].reason == "code_postal vide et pas de code_insee : lieu sans commune"
    row = _structure(db, "test", "1")
    assert (row.postal_code, row.department_code, row.offerings[0].fees) == ("01200", "01", "PAID")


def test_duplicate_ids_first_row_wins(db: Database, tmp_path: Path) -> None:
    rows = [_v0("7", nom="Premier"), _v0("7", nom="Second"), _v0("7", nom="Autre source", source="ailleurs")]
    report = import_lieux(db, [_write_json(tmp_path / "doubles.json", rows)])
    assert (report.files[0].taken, [(i.row, i.id) for i in report.files[0].refused]) == (2, [(2, "7")])
    assert "déjà vu à la ligne 1" in report.files[0].refused[0].reason
    assert _structure(db, "test", "7").name == "Premier"
    assert _structure(db, "ailleurs", "7").name == "Autre source"


def test_changed_row_updates_and_synchronises_offerings(db: Database, tmp_path: Path) -> None:
    first = _v0(
        "s", services="Prendre en main un ordinateur;Accéder à du matériel", latitude=45.0, longitude=0.1
    )
    import_lieux(db, [_write_json(tmp_path / "v1.json", [first])])
    before = _structure(db, "test", "s")
    kept_id = next(o.id for o in before.offerings if o.kind == "EVERYDAY_DIGITAL_TOOLS")
    with db.write() as session:
        session.get(Structure, before.id).is_operator = True  # type: ignore[union-attr]

    changed = _v0(
        "s",
        services="Prendre en main un ordinateur;Favoriser mon insertion professionnelle",
        latitude=45.5,
        longitude=0.2,
        labels_autres="Réseau local",
    )
    # Published again with the same date_maj: not newer, the stored version stands.
    same_day = import_lieux(db, [_write_json(tmp_path / "same-day.json", [changed])])
    assert (same_day.files[0].updated, same_day.files[0].stale) == (0, 1)
    assert _structure(db, "test", "s").updated_at == before.updated_at
    changed["date_maj"] = "2023-06-01"
    report = import_lieux(db, [_write_json(tmp_path / "v2.json", [changed])])
    assert (report.files[0].taken, report.files[0].updated, report.files[0].unchanged) == (0, 1, 0)
    after = _structure(db, "test", "s")
    assert after.id == before.id and after.is_operator is True
    assert after.updated_at > before.updated_at and after.created_at == before.created_at
    assert after.standard == {"autres_formations_labels": ["Réseau local"]}
    assert [(o.kind, o.id == kept_id) for o in after.offerings] == [
        ("EVERYDAY_DIGITAL_TOOLS", True),
        ("PROFESSIONAL_INTEGRATION", False),
    ]
    # The structure is an operator now: its offerings accept carnets; they follow its new point.
    assert all(o.accepts_carnet and (o.latitude, o.longitude) == (45.5, 0.2) for o in after.offerings)
    assert _count(db, ServiceOffering) == 2

    again = import_lieux(db, [_write_json(tmp_path / "v2.json", [changed])])
    assert (again.files[0].updated, again.files[0].unchanged) == (0, 1)
    assert _structure(db, "test", "s").updated_at == after.updated_at


def test_file_broken_half_way_writes_nothing(db: Database, tmp_path: Path) -> None:
    good = _write_json(tmp_path / "good.json", [_v0("g")])
    broken = _write_json(tmp_path / "broken.json", [_v0("1"), _v0("2"), ["not", "an", "object"], _v0("4")])
    report = import_lieux(db, [broken, good])
    assert not report.ok
    assert report.files[0].failed == "élément 3 du tableau : un objet JSON est attendu, trouvé list"
    assert (report.files[1].failed, report.files[1].taken) == (None, 1)
    assert _count(db, Structure) == 1
    assert "FAILED, nothing written: élément 3" in report.summary()
    assert report.to_dict()["files"][0]["failed"].startswith("élément 3")


def test_database_failure_mid_file_rolls_the_file_back(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = places.READERS[FORMAT_V0_JSON]

    def nameless_fifth_row(record: Any, default_source: str) -> places.Place:
        place = read(record, default_source)
        if record.row == 5:
            place.columns["name"] = None  # NOT NULL: the database refuses the INSERT
        return place

    monkeypatch.setitem(places.READERS, FORMAT_V0_JSON, nameless_fifth_row)
    monkeypatch.setattr(lieux, "FLUSH_EVERY", 2)
    path = _write_json(tmp_path / "lieux.json", [_v0(str(n)) for n in range(1, 8)])
    report = import_lieux(db, [path])
    failure = report.files[0].failed
    assert failure is not None and "lignes 5 à 6" in failure and "aucune ligne de ce fichier" in failure
    assert (report.files[0].taken, report.files[0].refused) == (0, [])
    assert _count(db, Structure) == 0 and _count(db, ServiceOffering) == 0


def test_unknown_formats_fail_clearly(db: Database, tmp_path: Path) -> None:
    text = tmp_path / "lieux.txt"
    text.write_text("bonjour", encoding="utf-8")
    obj = _write_json(tmp_path / "objet.json", {"id": "1"})  # type: ignore[arg-type]
    services = _write_json(tmp_path / "services.json", [{"id": "1", "nom": "Atelier", "structure_id": "2"}])
    report = import_lieux(db, [text, obj, services, SHARED_DATA / "communes" / "laposte_hexasmal_2023.csv"])
    failures = [f.failed or "" for f in report.files]
    assert failures[0] == "format inconnu : extension « .txt », .csv ou .json attendu"
    assert failures[1] == "un tableau JSON d'objets est attendu, le fichier contient un dict"
    assert failures[2].startswith("format inconnu : clés (id, nom, structure_id)")
    assert failures[3].startswith("format inconnu : colonnes (code_commune_insee, code_postal")
    assert not report.ok and _count(db, Structure) == 0


def test_rows_without_point_get_their_commune_centre_once_communes_are_loaded(
    db: Database, tmp_path: Path
) -> None:
    rows = [
        _v0("insee", code_insee="16015"),
        _v0("single", code_postal="16500", commune="Abzac"),
        _v0("by-name", code_postal="16100", commune="Châteaubernard"),
        _v0("ambiguous", code_postal="16100", commune="Ailleurs"),
        _v0("own", code_insee="16015", latitude=45.7, longitude=0.2),
    ]
    path = _write_json(tmp_path / "lieux.json", rows)
    import_lieux(db, [path])
    assert [_structure(db, "test", r["id"]).latitude for r in rows] == [None, None, None, None, 45.7]

    laposte = tmp_path / "laposte.csv"
    laposte.write_text(
        "code_commune_insee;nom_de_la_commune;code_postal;ligne_5;libelle_d_acheminement;coordonnees_geographiques\n"
        "16015;ANGOULEME;16000;;ANGOULEME;45.64,0.15\n"
        "16001;ABZAC;16500;;ABZAC;46.04,0.67\n"
        "16102;COGNAC;16100;;COGNAC;45.69,-0.33\n"
        "16089;CHATEAUBERNARD;16100;;CHATEAUBERNARD;45.67,-0.32\n",
        encoding="utf-8",
    )
    assert import_communes(db, laposte).ok
    report = import_lieux(db, [path])
    assert (report.files[0].updated, report.files[0].unchanged) == (3, 2)
    got = {r["id"]: _structure(db, "test", r["id"]) for r in rows}
    assert {key: (s.latitude, s.longitude, s.commune_code) for key, s in got.items()} == {
        "insee": (45.64, 0.15, "16015"),
        "single": (46.04, 0.67, "16001"),
        "by-name": (45.67, -0.32, "16089"),
        "ambiguous": (None, None, None),
        "own": (45.7, 0.2, "16015"),
    }
    assert got["ambiguous"].department_code == "16"
    assert [(o.own_latitude, o.latitude) for o in got["single"].offerings] == [(None, 46.04)]


def test_cleaning_helpers() -> None:
    assert clean.fix_mojibake("Fresnes-LÃ©guillon") == "Fresnes-Léguillon"
    assert clean.postal_code("30252Cedex") == "30252" and clean.postal_code("380000") is None
    assert clean.department_from_postal("20000") is None and clean.department_from_postal("97400") == "974"
    assert clean.contacts("a@b.fr - c@d.fr; e@f.gouv,fr") == ["a@b.fr", "c@d.fr", "e@f.gouv,fr"]
    assert clean.pivot("12345678900011/APE:8411Z") == "12345678900011"


def test_france_services_hours() -> None:
    days = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")
    week = dict(
        zip(
            days, ["09:00 - 12:00 / 13:30 - 17:00"] * 2 + ["-", "9 :00-12h00", "09:00-12:00", ""], strict=True
        )
    )
    assert opening_hours(week) == "Mo-Tu 09:00-12:00,13:30-17:00; Th-Fr 09:00-12:00"
    assert opening_hours(dict.fromkeys(days, "")) is None
    assert day_ranges("09:00 - 16:00 / 13:00 - 16:00 / 09:00 - 16:00") == [(540, 960)]
    assert day_ranges("00:00 - 00:00") == []
    assert day_ranges("09:00-13:00-/3:00-16:00") is None
    assert day_ranges("07:30:12:30") is None
