"""Export in the data·inclusion schema v1: every record of the whole shared data set validates against the
published JSON schema (jsonschema, with format checks), on both backends."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from app.database import Database
from batch.imports import import_lieux
from models import ServiceOffering, Structure
from models.standard import standard_masks
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import GQL, SHARED_DATA
from tests.test_import_lieux import REAL_FILES

SCHEMAS = SHARED_DATA / "schema" / "data-inclusion-v1"


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _get(gql: GQL, path: str) -> list[dict[str, Any]]:
    response = gql.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return list(json.loads(response.text))


def test_every_record_of_the_shared_data_validates(db: Database, gql: GQL) -> None:
    assert import_lieux(db, REAL_FILES).ok
    # One place is named "3R" (siao): too short for the schema's nom (3 characters at least), left out.
    with db.read() as session:
        short = session.scalars(select(Structure.id).where(Structure.name == "3R")).one()
        structures = session.scalar(select(func.count()).select_from(Structure))
        offerings = session.scalar(
            select(func.count()).select_from(ServiceOffering).where(ServiceOffering.structure_id != short)
        )

    records = _get(gql, "/exports/data-inclusion/structures.json")
    validator = _validator("structure")
    errors = [(r["id"], e.message) for r in records for e in validator.iter_errors(r)]
    assert errors == []
    assert (len(records), structures) == (8706, 8707)
    assert to_global_id("Structure", short) not in {r["id"] for r in records}
    assert len({r["id"] for r in records}) == len(records)

    services = _get(gql, "/exports/data-inclusion/services.json")
    validator = _validator("service")
    errors = [(r["id"], e.message) for r in services for e in validator.iter_errors(r)]
    assert errors == []
    assert len(services) == offerings
    assert {r["structure_id"] for r in services} <= {r["id"] for r in records}


def test_mapping_and_incremental_export(db: Database, gql: GQL) -> None:
    with db.write() as session:
        row = factories.structure(session, "Espace Seniors", operator=True)
        row.standard = {
            "publics_specifiquement_adresses": ["Seniors"],
            "prise_en_charge_specifique": ["Surdité"],
            "modalites_acces": ["Se présenter", "Prendre un RDV en ligne"],
            "modalites_accompagnement": ["Dans un atelier collectif"],
            "dispositif_programmes_nationaux": ["Conseillers numériques", "France Services"],
            "prise_rdv": ["https://rdv.example/espace"],
            "fiche_acces_libre": ["https://acceslibre.beta.gouv.fr/espace"],
        }
        row.pivot = "12345678901234"
        row.email = "contact@espace.example; autre@espace.example"
        row.website = "espace.example"  # not a URI: left out
        row.opening_hours = "Mo-Fr 09:00-12:00"
        for column, value in standard_masks(row.standard).items():
            setattr(row, column, value)
        row.offerings[0].fees = "FREE_UNDER_CONDITIONS"
        session.flush()
        pk, updated = row.id, row.updated_at

    (structure,) = _get(gql, "/exports/data-inclusion/structures.json")
    assert structure == {
        "id": to_global_id("Structure", pk),
        "source": "test",
        "nom": "Espace Seniors",
        "date_maj": updated.date().isoformat(),
        "adresse": structure["adresse"],
        "complement_adresse": None,
        "commune": "Angoulême",
        "code_postal": "16000",
        "code_insee": "16015",
        "telephone": None,
        "courriel": "contact@espace.example",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
        "lien_source": None,
        "latitude": 45.65,
        "longitude": 0.16,
        "siret": "12345678901234",
        "site_web": None,
        "description": None,
        "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/espace",
        "reseaux_porteurs": ["conseillers-numeriques", "france-service"],
    }
    (service,) = _get(gql, "/exports/data-inclusion/services.json")
    assert {
        k: service[k] for k in ("structure_id", "nom", "thematiques", "type", "frais", "frais_precisions")
    } == {
        "structure_id": to_global_id("Structure", pk),
        "nom": "Aide aux démarches administratives",
        "thematiques": ["numerique--acceder-a-des-services-en-ligne"],
        "type": "atelier",
        "frais": None,
        "frais_precisions": "Gratuit sous condition",
    }
    assert service["publics"] == ["seniors", "personnes-en-situation-de-handicap"]
    assert service["modes_mobilisation"] == ["se-presenter", "utiliser-lien-mobilisation"]
    assert (service["lien_mobilisation"], service["modes_accueil"]) == (
        "https://rdv.example/espace",
        ["en-presentiel"],
    )
    assert not list(_validator("service").iter_errors(service))

    later = updated.isoformat().replace("+00:00", "Z")
    assert _get(gql, f"/exports/data-inclusion/structures.json?updated_since={later}") == []
    assert len(_get(gql, "/exports/data-inclusion/services.json?updated_since=2000-01-01")) == 1
    bad = gql.client.get("/exports/data-inclusion/services.json?updated_since=hier")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "updated_since"
