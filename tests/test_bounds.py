"""Ids, cursors and dates from outside are decoded with the database's bounds: forged values are input errors.

Each case here once reached SQL (SQLite's OverflowError, PostGIS's "integer out of range") or Python's
limits (OverflowError, RecursionError), or silently gave an empty page.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.database import Database
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL

TOO_BIG_IDS = [2**31, 2**63, 10**30]


def raw_id(type_name: str, pk: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def world(db: Database) -> dict[str, Any]:
    with db.write() as session:
        home = factories.structure(session, "Espace numérique", operator=True)
        factories.structure(session, "Autre lieu", lat=45.66, lon=0.17)
        dossier = factories.dossier(session, home.id)
        return {
            "home": to_global_id("Structure", home.id),
            "dossier": to_global_id("Dossier", dossier.id),
            "op": factories.operator(session, home, "Alex Opérateur"),
            "coord": factories.operator(session, None, "Coline Coordinatrice"),
        }


def assert_invalid(body: dict[str, Any], field: str) -> None:
    assert body.get("errors"), body
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}, error
    assert error["message"] != "Erreur inattendue du serveur."


@pytest.mark.parametrize("pk", TOO_BIG_IDS)
def test_out_of_range_ids_never_reach_the_database(gql: GQL, world: dict[str, Any], pk: int) -> None:
    dossier_id, structure_id = raw_id("Dossier", str(pk)), raw_id("Structure", str(pk))
    assert gql.data("query($id: ID!) { dossier(id: $id) { id } }", {"id": dossier_id}, world["op"]) == {
        "dossier": None
    }
    assert gql.data("query($id: ID!) { structure(id: $id) { id } }", {"id": structure_id}) == {
        "structure": None
    }
    for mutation, variables, field in [
        (op.TAKE, {"id": dossier_id}, "dossierId"),
        (op.ARCHIVE, {"id": dossier_id, "reason": "DUPLICATE"}, "dossierId"),
        (op.REORIENT, {"id": dossier_id, "to": world["home"]}, "dossierId"),
        (op.REORIENT, {"id": world["dossier"], "to": structure_id}, "toStructureId"),
    ]:
        result = next(iter(gql.data(mutation, variables, world["op"]).values()))
        assert result["__typename"] == "InvalidInputError", result
        assert result["field"] == field
    orient = gql.data(
        op.ORIENT,
        {
            "input": {
                "carnetNumber": "123abc",
                "lastName": "Durand",
                "communeCode": "16015",
                "needs": [],
                "toStructureId": structure_id,
            }
        },
        world["coord"],
    )["orientBeneficiary"]
    assert orient["__typename"] == "InvalidInputError" and orient["field"] == "input.toStructureId", orient
    suggestions = gql(
        "query($id: ID!) { reorientationSuggestions(dossierId: $id) { score } }",
        {"id": dossier_id},
        world["op"],
    )
    assert_invalid(suggestions, "dossierId")


def test_the_largest_id_is_still_an_id(gql: GQL, world: dict[str, Any]) -> None:
    largest = raw_id("Dossier", str(2**31 - 1))
    assert gql.data("query($id: ID!) { dossier(id: $id) { id } }", {"id": largest}, world["op"]) == {
        "dossier": None
    }
    result = gql.data(op.TAKE, {"id": largest}, world["op"])["takeInCharge"]
    assert result["__typename"] == "NotFoundError", result


FORGED = [
    "[1e999,1]",
    "[1,10000000000000000000000000000000]",
    "[NaN,1]",
    "[Infinity,1]",
    "[-1,1]",
    '["0001-01-01T00:00:00+14:00",1]',
    '["9999-12-31T23:59:59-14:00",1]',
    "[" * 100_000 + "]" * 100_000,
    "[1,true]",
]


@pytest.mark.parametrize("text", FORGED)
def test_forged_cursors_are_input_errors_on_every_list(gql: GQL, world: dict[str, Any], text: str) -> None:
    after = raw_cursor(text)
    lists = [
        ("query($a: String) { structures(after: $a) { totalCount } }", None),
        (
            'query($a: String) { structures(after: $a, filter: {updatedSince: "2020-01-01T00:00:00Z"}) '
            "{ totalCount } }",
            None,
        ),
        (
            "query($a: String) { nearbyOfferings(near: {point: {latitude: 45.65, longitude: 0.16}}, after: $a) "
            "{ edges { distanceKm } } }",
            None,
        ),
        ("query($a: String) { dossiers(status: ORIENTED, after: $a) { totalCount } }", world["op"]),
    ]
    for query, token in lists:
        assert_invalid(gql(query, {"a": after}, token), "after")
    # One-part cursors (structures by id) get the one-part forgeries too.
    for one in ("[1e999]", "[10000000000000000000000000000000]", "[NaN]", "[2147483648]"):
        body = gql("query($a: String) { structures(after: $a) { totalCount } }", {"a": raw_cursor(one)})
        assert_invalid(body, "after")


def test_real_cursors_still_page(gql: GQL, world: dict[str, Any]) -> None:
    first = gql.data("{ structures(first: 1) { edges { node { name } } pageInfo { endCursor } } }")
    cursor = first["structures"]["pageInfo"]["endCursor"]
    second = gql.data(
        "query($a: String) { structures(first: 1, after: $a) { edges { node { name } } } }", {"a": cursor}
    )
    assert [e["node"]["name"] for e in second["structures"]["edges"]] == ["Autre lieu"]


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_dates_that_leave_the_calendar_in_utc_are_input_errors(
    gql: GQL, client: TestClient, world: dict[str, Any], since: str
) -> None:
    body = gql("query($s: DateTime) { structures(filter: {updatedSince: $s}) { totalCount } }", {"s": since})
    assert_invalid(body, "filter.updatedSince")
    export = client.get("/exports/lieux.csv", params={"updated_since": since})
    assert export.status_code == 400, export.text
    assert export.json()["error"]["field"] == "updated_since"


def test_an_empty_page_has_no_next_page(gql: GQL, world: dict[str, Any]) -> None:
    """``first: 0`` gives no cursor to continue from, so it cannot promise a next page."""
    data = gql.data(
        "{ structures(first: 0) { totalCount pageInfo { hasNextPage endCursor } }"
        "  nearbyOfferings(near: {point: {latitude: 45.65, longitude: 0.16}}, first: 0)"
        "  { pageInfo { hasNextPage endCursor } } }"
    )
    assert data["structures"] == {"totalCount": 2, "pageInfo": {"hasNextPage": False, "endCursor": None}}
    assert data["nearbyOfferings"]["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    tab = gql.data(op.LIST, {"status": "ORIENTED", "first": 0}, world["op"])["dossiers"]
    assert tab["totalCount"] == 1 and tab["pageInfo"] == {"hasNextPage": False, "endCursor": None}


def orient_input(world: dict[str, Any], **changes: Any) -> dict[str, Any]:
    values = {
        "carnetNumber": "123abc",
        "lastName": "Durand",
        "firstName": "Léa",
        "communeCode": "16015",
        "needs": [],
        "toStructureId": world["home"],
    }
    return {"input": {**values, **changes}}


def dossier_total(gql: GQL, world: dict[str, Any]) -> int:
    counts = gql.data(op.COUNTS, token=world["coord"])["dossierCounts"]
    return int(counts["oriented"] + counts["takenInCharge"] + counts["archived"])


@pytest.mark.parametrize("field", ["lastName", "firstName"])
def test_names_are_measured_after_folding(gql: GQL, world: dict[str, Any], field: str) -> None:
    """150 « ﬀ » fold to a 300-letter key: PostGIS refused it, SQLite stored it; now both say why."""
    before = dossier_total(gql, world)
    result = gql.data(op.ORIENT, orient_input(world, **{field: "ﬀ" * 150}), world["coord"])
    oriented = result["orientBeneficiary"]
    assert oriented["__typename"] == "InvalidInputError", oriented
    assert oriented["field"] == f"input.{field}" and "200 caractères au plus" in oriented["message"]
    assert dossier_total(gql, world) == before
    fits = gql.data(op.ORIENT, orient_input(world, **{field: "ﬀ" * 100}), world["coord"])
    assert fits["orientBeneficiary"]["__typename"] == "DossierPayload"


def ascii_gql(gql: GQL, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """As GQL, with the JSON escaped to ASCII (a lone surrogate travels as "\\ud800", as browsers send it)."""
    response = gql.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("bad", ["Du\x00rand", "Du\x1brand", "Du\x7frand", "Du\ud800rand"])
def test_control_characters_are_refused_at_the_edge(gql: GQL, world: dict[str, Any], bad: str) -> None:
    before = dossier_total(gql, world)
    body = ascii_gql(gql, op.ORIENT, orient_input(world, lastName=bad), world["coord"])
    assert_invalid(body, "input.lastName")
    assert body["data"] is None
    assert_invalid(ascii_gql(gql, op.CLAIM, {"name": bad, "carnet": "123abc"}, world["op"]), "name")
    search = "query($s: String) { dossiers(status: ORIENTED, search: $s) { totalCount } }"
    assert_invalid(ascii_gql(gql, search, {"s": bad}, world["op"]), "s")
    assert dossier_total(gql, world) == before


def test_control_characters_in_literals_name_the_argument(gql: GQL, world: dict[str, Any]) -> None:
    body = gql('{ structures(filter: {communeCode: "16\\u0000015"}) { totalCount } }')
    assert_invalid(body, "filter.communeCode")
    body = gql('{ dossiers(status: ORIENTED, search: "a\\u0000") { totalCount } }', token=world["op"])
    assert_invalid(body, "search")


def test_tabs_and_line_breaks_are_text(gql: GQL, world: dict[str, Any]) -> None:
    archived = gql.data(
        op.ARCHIVE,
        {"id": world["dossier"], "reason": "OTHER", "note": "Appelée deux fois :\n\tpas de réponse.\r\n"},
        world["op"],
    )["archiveDossier"]
    assert archived["__typename"] == "DossierPayload", archived


@pytest.mark.parametrize("field", ["from", "to"])
def test_statistics_dates_that_leave_the_calendar_are_input_errors(
    gql: GQL, world: dict[str, Any], field: str
) -> None:
    dates = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    dates[field] = "0001-01-01T00:00:00+14:00" if field == "from" else "9999-12-31T23:59:59-14:00"
    query = "query($from: DateTime!, $to: DateTime!) { statistics(from: $from, to: $to) { __typename } }"
    assert_invalid(gql(query, dates, world["coord"]), field)
