"""Every private field and every mutation × {anonymous, operator elsewhere, holder's operator, coordinator}."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from app.database import Database
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL

WHO = ["anonymous", "other", "holder", "coordinator"]
NAME, CARNET = "Lefèvre-Secret", "321xyz"


@pytest.fixture
def setup(db: Database) -> dict[str, Any]:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        other = factories.structure(session, "Ailleurs", operator=True, lat=45.7, lon=0.2)
        dossier = factories.dossier(session, home.id, carnet=CARNET, last_name=NAME)
        return {
            "tokens": {
                "anonymous": None,
                "other": factories.operator(session, other, "Autre"),
                "holder": factories.operator(session, home, "Titulaire"),
                "coordinator": factories.operator(session, None, "Coord"),
            },
            "dossier": to_global_id("Dossier", dossier.id),
            "home": to_global_id("Structure", home.id),
            "other": to_global_id("Structure", other.id),
        }


def unauthenticated(body: dict[str, Any]) -> str:
    assert not any((body["data"] or {}).values()), body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    return "UNAUTHENTICATED"


def query_dossiers(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    body = gql(op.LIST, {"status": "ORIENTED"}, token)
    return unauthenticated(body) if token is None else body["data"]["dossiers"]["totalCount"]


def query_counts(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    body = gql(op.COUNTS, {}, token)
    return unauthenticated(body) if token is None else body["data"]["dossierCounts"]["oriented"]


def query_dossier(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    body = gql(op.DOSSIER, {"id": s["dossier"]}, token)
    if token is None:
        return unauthenticated(body)
    return "visible" if body["data"]["dossier"] else None


def query_structure_counts(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    body = gql(
        "query($id: ID!) { structure(id: $id) { dossierCounts { oriented } } }", {"id": s["home"]}, token
    )
    counts = body["data"]["structure"]["dossierCounts"]
    return counts and counts["oriented"]


def query_me(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    me = gql("{ me { name } }", {}, token)["data"]["me"]
    return me and me["name"]


def query_suggestions(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
    body = gql(
        "query($id: ID!) { reorientationSuggestions(dossierId: $id) { structure { name } } }",
        {"id": s["dossier"]},
        token,
    )
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    return [item["structure"]["name"] for item in body["data"]["reorientationSuggestions"]]


def _mutation(document: str, field: str, variables: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    def run(gql: GQL, s: dict[str, Any], token: str | None) -> Any:
        result = gql(document, variables(s), token)["data"][field]
        return result["dossier"]["status"] if result["__typename"] == "DossierPayload" else result["code"]

    return run


CASES: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "me": (query_me, {"anonymous": None, "other": "Autre", "holder": "Titulaire", "coordinator": "Coord"}),
    "dossiers": (query_dossiers, {"anonymous": "UNAUTHENTICATED", "other": 0, "holder": 1, "coordinator": 1}),
    "dossierCounts": (
        query_counts,
        {"anonymous": "UNAUTHENTICATED", "other": 0, "holder": 1, "coordinator": 1},
    ),
    "dossier": (
        query_dossier,
        {"anonymous": "UNAUTHENTICATED", "other": None, "holder": "visible", "coordinator": "visible"},
    ),
    "reorientationSuggestions": (
        query_suggestions,
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "NOT_FOUND",
            "holder": ["Ailleurs"],
            "coordinator": ["Ailleurs"],
        },
    ),
    "Structure.dossierCounts": (
        query_structure_counts,
        {"anonymous": None, "other": None, "holder": 1, "coordinator": 1},
    ),
    "orientBeneficiary": (
        _mutation(
            op.ORIENT,
            "orientBeneficiary",
            lambda s: {
                "input": {"carnetNumber": "999new", "lastName": "Nouveau", "toStructureId": s["home"]}
            },
        ),
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "ORIENTED",
            "holder": "ORIENTED",
            "coordinator": "ORIENTED",
        },
    ),
    "takeInCharge": (
        _mutation(op.TAKE, "takeInCharge", lambda s: {"id": s["dossier"]}),
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "NOT_FOUND",
            "holder": "TAKEN_IN_CHARGE",
            "coordinator": "NOT_ALLOWED",
        },
    ),
    "reorientDossier": (
        _mutation(op.REORIENT, "reorientDossier", lambda s: {"id": s["dossier"], "to": s["other"]}),
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "NOT_FOUND",
            "holder": "ORIENTED",
            "coordinator": "ORIENTED",
        },
    ),
    "archiveDossier": (
        _mutation(op.ARCHIVE, "archiveDossier", lambda s: {"id": s["dossier"], "reason": "DUPLICATE"}),
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "NOT_FOUND",
            "holder": "ARCHIVED",
            "coordinator": "ARCHIVED",
        },
    ),
    "claimDossier": (
        _mutation(op.CLAIM, "claimDossier", lambda s: {"name": NAME, "carnet": CARNET}),
        {
            "anonymous": "UNAUTHENTICATED",
            "other": "ORIENTED",
            "holder": "INVALID_TRANSITION",
            "coordinator": "NOT_ALLOWED",
        },
    ),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("field", list(CASES))
def test_matrix(gql: GQL, setup: dict[str, Any], field: str, who: str, db: Database) -> None:
    run, expected = CASES[field]
    assert run(gql, setup, setup["tokens"][who]) == expected[who]


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_nothing_of_the_dossier_leaks_to_outsiders(gql: GQL, setup: dict[str, Any], who: str) -> None:
    token = setup["tokens"][who]
    answers = [
        gql(op.DOSSIER, {"id": setup["dossier"]}, token),
        gql(op.LIST, {"status": "ORIENTED", "search": "lefevre"}, token),
        gql(
            "query($id: ID!) { structure(id: $id) { dossierCounts { oriented } } }",
            {"id": setup["home"]},
            token,
        ),
        gql(op.TAKE, {"id": setup["dossier"]}, token),
        gql(op.ARCHIVE, {"id": setup["dossier"], "reason": "OTHER", "note": "x"}, token),
        gql(op.REORIENT, {"id": setup["dossier"], "to": setup["other"]}, token),
        gql(op.CLAIM, {"name": "Wrong", "carnet": CARNET}, token),
    ]
    text = json.dumps(answers, ensure_ascii=False).lower()
    for secret in (NAME.lower(), CARNET, "lefevre"):
        assert secret not in text.replace('"search": "lefevre"', "")
    assert '"oriented": 1' not in text


def test_mutation_over_get_is_refused(client: Any, setup: dict[str, Any]) -> None:
    response = client.get(
        "/graphql", params={"query": 'mutation { takeInCharge(dossierId: "x") { __typename } }'}
    )
    assert response.status_code in (400, 405)
    authenticated_get = client.get(
        "/graphql",
        params={"query": "{ dossierCounts { oriented } }"},
        headers={"Authorization": f"Bearer {setup['tokens']['holder']}"},
    )
    assert authenticated_get.status_code == 405
    public_get = client.get("/graphql", params={"query": "{ structures { totalCount } }"})
    assert public_get.status_code == 200 and public_get.json()["data"]["structures"]["totalCount"] == 2


def test_revoked_token_is_refused_like_an_unknown_one(gql: GQL, setup: dict[str, Any], db: Database) -> None:
    from sqlalchemy import select

    from models import Operator
    from resolvers.auth import revoke_operator

    with db.write() as session:
        op_id = session.scalars(select(Operator.id).where(Operator.name == "Titulaire")).one()
        revoke_operator(session, op_id)
    revoked = gql(op.COUNTS, {}, setup["tokens"]["holder"])
    unknown = gql(op.COUNTS, {}, "aig_not-a-token")
    assert revoked == unknown
    assert revoked["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
