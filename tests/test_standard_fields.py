"""The national standard's fields on Structure: imported from v1.0.2 and v0.1, exported back, filtered."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from app.database import Database
from batch.imports import import_lieux
from models.standard import standard_masks
from tests import factories
from tests.conftest import GQL, SHARED_DATA

V1_EXAMPLE = SHARED_DATA / "schema" / "lieux-mediation-numerique-exemple-valide-v1.0.2.csv"
FIELDS = """publics specificSupport accessModes supportModes labels accessibilityUrl appointmentUrl mobile"""
ONE = "query($id: ID!) { structure(id: $id) { name " + FIELDS + " } }"
# The columns of the standard these fields come from, exported back as published.
COLUMNS = (
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "modalites_acces",
    "modalites_accompagnement",
    "dispositif_programmes_nationaux",
    "fiche_acces_libre",
    "prise_rdv",
    "itinerance",
)


def _only_structure(gql: GQL) -> dict[str, Any]:
    edges = gql.data("{ structures(first: 1) { edges { node { id } } } }")["structures"]["edges"]
    return dict(gql.data(ONE, {"id": edges[0]["node"]["id"]})["structure"])


def test_v1_fields_read_and_exported_back_unchanged(db: Database, gql: GQL) -> None:
    report = import_lieux(db, [V1_EXAMPLE]).files[0]
    assert report.failed is None and report.warnings == []
    assert _only_structure(gql) == {
        "name": "Anonymal",
        "publics": ["YOUTH", "WOMEN"],
        "specificSupport": ["DEAFNESS", "ILLITERACY", "FOREIGN_LANGUAGES_ENGLISH"],
        "accessModes": ["WALK_IN", "PHONE"],
        "supportModes": ["SELF_SERVICE", "ONE_TO_ONE", "GROUP_WORKSHOP", "REMOTE"],
        "labels": ["Aidants Connect", "Conseillers numériques", "La Croix Rouge"],
        "accessibilityUrl": "https://acceslibre.beta.gouv.fr/app/29-lampaul-plouarzel/a/bibliotheque-mediatheque/erp/mediatheque-13/",
        "appointmentUrl": "https://www.rdv-solidarites.fr/",
        "mobile": True,
    }
    with V1_EXAMPLE.open(encoding="utf-8") as handle:
        published = next(csv.DictReader(handle))
    exported = next(csv.DictReader(io.StringIO(gql.client.get("/exports/lieux.csv").text)))
    assert {c: exported[c] for c in COLUMNS} == {c: published[c] for c in COLUMNS}


def test_values_outside_the_vocabularies_are_reported(db: Database, gql: GQL, tmp_path: Path) -> None:
    v1 = {
        "id": "v1",
        "nom": "Lieu v1",
        "commune": "Angoulême",
        "code_postal": "16000",
        "adresse": "1 rue",
        "services": "Aide aux démarches administratives",
        "publics_specifiquement_adresses": "seniors|Martiens",
        "modalites_acces": "Se présenter|Par pigeon voyageur",
        "itinerance": "Fixe",
    }
    path = tmp_path / "v1.json"
    path.write_text(json.dumps([v1], ensure_ascii=False), encoding="utf-8")
    report = import_lieux(db, [path]).files[0]
    reasons = sorted(w.reason for w in report.warnings)
    assert reasons == [
        "modalites_acces : « Par pigeon voyageur » n'est pas une valeur du standard v1.0.2, ignorée",
        "publics_specifiquement_adresses : « Martiens » n'est pas une valeur du standard v1.0.2, ignorée",
    ]
    node = _only_structure(gql)
    assert (node["publics"], node["accessModes"], node["mobile"]) == (["SENIORS"], ["WALK_IN"], False)

    v0 = {
        "id": "v0",
        "nom": "Lieu v0",
        "commune": "Angoulême",
        "code_postal": "16000",
        "adresse": "2 rue",
        "services": "Prendre en main un ordinateur",
        "publics_accueillis": "Seniors (+ 65 ans);Adultes;Public langues étrangères;Surdité",
        "accessibilite": "https://acceslibre.beta.gouv.fr/lieu",
        "source": "v0",
    }
    path = tmp_path / "v0.json"
    path.write_text(json.dumps([v0], ensure_ascii=False), encoding="utf-8")
    report = import_lieux(db, [path]).files[0]
    assert [w.reason for w in report.warnings] == [
        "publics_accueillis : « Public langues étrangères » sans équivalent dans le standard v1.0.2, ignoré"
    ]
    body = gql.data(
        "{ structures(filter: {publics: [SENIORS], specificSupport: [DEAFNESS]}) { edges { node { name "
        + FIELDS
        + " } } } }"
    )
    assert [e["node"] for e in body["structures"]["edges"]] == [
        {
            "name": "Lieu v0",
            "publics": ["SENIORS"],
            "specificSupport": ["DEAFNESS"],
            "accessModes": [],
            "supportModes": [],
            "labels": [],
            "accessibilityUrl": "https://acceslibre.beta.gouv.fr/lieu",
            "appointmentUrl": None,
            "mobile": False,
        }
    ]


def _place(db: Database, name: str, lat: float, **standard: list[str]) -> None:
    with db.write() as session:
        row = factories.structure(session, name, lat=lat, lon=0.16)
        row.standard = dict(standard)
        for column, value in standard_masks(row.standard).items():
            setattr(row, column, value)


def test_filters_on_structures_nearby_and_geojson(db: Database, gql: GQL) -> None:
    _place(db, "seniors", 45.650, publics_specifiquement_adresses=["Seniors"])
    _place(
        db,
        "jeunes sourds",
        45.651,
        publics_specifiquement_adresses=["Jeunes"],
        prise_en_charge_specifique=["Surdité"],
    )
    _place(db, "anglais", 45.652, prise_en_charge_specifique=["Langues étrangères (anglais)"])
    _place(db, "rien", 45.653)

    def listed(filter_: str) -> list[str]:
        body = gql.data("{ structures(filter: " + filter_ + ") { totalCount edges { node { name } } } }")
        names = [e["node"]["name"] for e in body["structures"]["edges"]]
        assert body["structures"]["totalCount"] == len(names)
        return names

    def nearby(args: str) -> list[str]:
        body = gql.data(
            "{ nearbyOfferings(near: {point: {latitude: 45.65, longitude: 0.16}}, radiusKm: 5"
            + args
            + ") { edges { node { structure { name } } } } }"
        )
        return [e["node"]["structure"]["name"] for e in body["nearbyOfferings"]["edges"]]

    def geojson(query: str) -> list[str]:
        response = gql.client.get("/geo/structures.geojson?bbox=0,45,1,46" + query)
        assert response.status_code == 200, response.text
        return [f["properties"]["name"] for f in response.json()["features"]]

    assert listed("{publics: [SENIORS, YOUTH]}") == ["seniors", "jeunes sourds"]
    assert listed("{specificSupport: [DEAFNESS, FOREIGN_LANGUAGES_ENGLISH]}") == ["jeunes sourds", "anglais"]
    assert listed("{publics: [YOUTH], specificSupport: [FOREIGN_LANGUAGES_ENGLISH]}") == []
    assert listed("{publics: []}") == ["seniors", "jeunes sourds", "anglais", "rien"]
    assert nearby(", publics: [SENIORS]") == ["seniors"]
    assert nearby(", specificSupport: [DEAFNESS, FOREIGN_LANGUAGES_ENGLISH]") == ["jeunes sourds", "anglais"]
    assert nearby(", publics: [YOUTH], specificSupport: [DEAFNESS]") == ["jeunes sourds"]
    assert geojson("&publics=seniors,YOUTH") == ["seniors", "jeunes sourds"]
    assert geojson("&specific_support=FOREIGN_LANGUAGES_ENGLISH") == ["anglais"]
    bad = gql.client.get("/geo/structures.geojson?bbox=0,45,1,46&publics=MARTIANS")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "publics"
    assert "SENIORS" in bad.json()["error"]["message"]


def test_demo_places_use_the_fields(db: Database, gql: GQL) -> None:
    from app import demo

    demo.load(db)
    body = gql.data("{ structures(filter: {publics: [SENIORS]}, first: 100) { totalCount } }")
    assert 0 < body["structures"]["totalCount"] < 31
    deaf = gql.data("{ structures(filter: {specificSupport: [DEAFNESS]}, first: 100) { totalCount } }")
    assert 0 < deaf["structures"]["totalCount"] < 31
