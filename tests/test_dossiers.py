"""The seed's four scenarios end to end over HTTP, on both backends, and the rules around them."""

from __future__ import annotations

from typing import Any

import pytest

from app.database import Database
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL


@pytest.fixture
def world(db: Database) -> dict[str, Any]:
    with db.write() as session:
        a = factories.structure(session, "Espace numérique A", operator=True)
        b = factories.structure(session, "Médiathèque B", operator=True, lat=45.70, lon=0.20)
        mapped = factories.structure(session, "Lieu carte seule", operator=False)
        return {
            "a": to_global_id("Structure", a.id),
            "b": to_global_id("Structure", b.id),
            "mapped": to_global_id("Structure", mapped.id),
            "op_a": factories.operator(session, a, "Alex Opérateur"),
            "op_b": factories.operator(session, b, "Bea Opératrice"),
            "coord": factories.operator(session, None, "Coline Coordinatrice"),
        }


def orient(
    gql: GQL, w: dict[str, Any], carnet: str = "123abc", name: str = "Lefèvre", to: str = "a"
) -> dict[str, Any]:
    result = gql.data(
        op.ORIENT,
        {
            "input": {
                "carnetNumber": carnet,
                "lastName": name,
                "firstName": "Jeanne",
                "communeCode": "16015",
                "needs": ["ADMINISTRATIVE_PROCEDURES"],
                "toStructureId": w[to],
            }
        },
        token=w["coord"],
    )["orientBeneficiary"]
    assert result["__typename"] == "DossierPayload", result
    return dict(result["dossier"])


def counts(gql: GQL, token: str) -> tuple[int, int, int]:
    c = gql.data(op.COUNTS, token=token)["dossierCounts"]
    return c["oriented"], c["takenInCharge"], c["archived"]


def test_take_in_charge_moves_between_tabs(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    assert counts(gql, world["op_a"]) == (1, 0, 0)
    result = gql.data(op.TAKE, {"id": dossier["id"]}, token=world["op_a"])["takeInCharge"]
    assert result["dossier"]["status"] == "TAKEN_IN_CHARGE"
    assert result["dossier"]["version"] == dossier["version"] + 1
    assert counts(gql, world["op_a"]) == (0, 1, 0)
    tab = gql.data(op.LIST, {"status": "TAKEN_IN_CHARGE"}, token=world["op_a"])["dossiers"]
    assert tab["totalCount"] == 1
    assert [e["kind"] for e in tab["edges"][0]["node"]["history"]] == ["ORIENTED", "TAKEN_IN_CHARGE"]
    assert tab["edges"][0]["node"]["history"][1]["actor"] == "Alex Opérateur"


def test_reorient_hands_the_dossier_over(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    gql.data(op.TAKE, {"id": dossier["id"]}, token=world["op_a"])
    result = gql.data(
        op.REORIENT,
        {"id": dossier["id"], "to": world["b"], "note": "Plus proche de chez elle"},
        token=world["op_a"],
    )["reorientDossier"]
    assert result["dossier"]["status"] == "ORIENTED"
    assert result["dossier"]["structure"]["name"] == "Médiathèque B"
    assert counts(gql, world["op_a"]) == (0, 0, 0)
    assert counts(gql, world["op_b"]) == (1, 0, 0)
    # A now sees nothing of it: the same answer as a missing dossier.
    assert gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_a"])["dossier"] is None
    seen = gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_b"])["dossier"]
    last = seen["history"][-1]
    assert last == {
        "kind": "REORIENTED",
        "actor": "Alex Opérateur",
        "fromStructure": {"name": "Espace numérique A"},
        "toStructure": {"name": "Médiathèque B"},
        "archiveReason": None,
        "note": "Plus proche de chez elle",
    }


def test_reorient_refuses_a_place_that_is_not_a_member(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    result = gql.data(op.REORIENT, {"id": dossier["id"], "to": world["mapped"]}, token=world["op_a"])[
        "reorientDossier"
    ]
    assert result["code"] == "INVALID_INPUT" and result["field"] == "toStructureId"
    assert "membre" in result["message"]
    same = gql.data(op.REORIENT, {"id": dossier["id"], "to": world["a"]}, token=world["op_a"])[
        "reorientDossier"
    ]
    assert same["code"] == "INVALID_INPUT"
    assert counts(gql, world["op_a"]) == (1, 0, 0)


def test_archive_needs_a_reason_and_keeps_it(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    missing = gql(op.ARCHIVE, {"id": dossier["id"]}, token=world["op_a"])
    assert missing["errors"] and "reason" in missing["errors"][0]["message"]
    other = gql.data(op.ARCHIVE, {"id": dossier["id"], "reason": "OTHER"}, token=world["op_a"])[
        "archiveDossier"
    ]
    assert other["code"] == "INVALID_INPUT" and other["field"] == "note"
    done = gql.data(op.ARCHIVE, {"id": dossier["id"], "reason": "BENEFICIARY_DECLINED"}, token=world["op_a"])
    assert done["archiveDossier"]["dossier"]["status"] == "ARCHIVED"
    assert counts(gql, world["op_a"]) == (0, 0, 1)
    seen = gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_a"])["dossier"]
    assert seen["archiveReason"] == "BENEFICIARY_DECLINED" and seen["archivedAt"]
    again = gql.data(op.TAKE, {"id": dossier["id"]}, token=world["op_a"])["takeInCharge"]
    assert again["code"] == "INVALID_TRANSITION" and again["currentStatus"] == "ARCHIVED"


@pytest.mark.parametrize("typed_name", ["LEFEVRE", "  lefèvre ", "Le-Fèvre", "le fevre", "L'efevre"])
def test_claim_by_name_and_carnet(gql: GQL, world: dict[str, Any], typed_name: str) -> None:
    dossier = orient(gql, world, carnet="042xyz", name="Lefèvre")
    result = gql.data(op.CLAIM, {"name": typed_name, "carnet": " 042XYZ "}, token=world["op_b"])[
        "claimDossier"
    ]
    assert result["__typename"] == "DossierPayload", result
    assert result["dossier"]["id"] == dossier["id"]
    assert result["dossier"]["structure"]["name"] == "Médiathèque B"
    assert result["dossier"]["status"] == "ORIENTED"
    # then, as the seed says, the operator takes the beneficiary in charge
    taken = gql.data(op.TAKE, {"id": dossier["id"]}, token=world["op_b"])["takeInCharge"]
    assert taken["dossier"]["status"] == "TAKEN_IN_CHARGE"
    history = gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_b"])["dossier"]["history"]
    assert [h["kind"] for h in history] == ["ORIENTED", "CLAIMED", "TAKEN_IN_CHARGE"]
    assert history[1]["fromStructure"] == {"name": "Espace numérique A"}


def test_claim_wrong_name_and_unknown_carnet_answer_alike(gql: GQL, world: dict[str, Any]) -> None:
    orient(gql, world, carnet="042xyz", name="Lefèvre")
    wrong_name = gql.data(op.CLAIM, {"name": "Martin", "carnet": "042xyz"}, token=world["op_b"])[
        "claimDossier"
    ]
    unknown = gql.data(op.CLAIM, {"name": "Lefèvre", "carnet": "999zzz"}, token=world["op_b"])["claimDossier"]
    assert wrong_name == unknown
    assert wrong_name["code"] == "NOT_FOUND"
    assert counts(gql, world["op_a"]) == (1, 0, 0)


def test_claim_own_archived_dossier_reopens_it(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    gql.data(op.ARCHIVE, {"id": dossier["id"], "reason": "UNREACHABLE"}, token=world["op_a"])
    result = gql.data(op.CLAIM, {"name": "Lefèvre", "carnet": "123abc"}, token=world["op_a"])["claimDossier"]
    assert result["dossier"]["status"] == "ORIENTED"
    active = gql.data(op.CLAIM, {"name": "Lefèvre", "carnet": "123abc"}, token=world["op_a"])["claimDossier"]
    assert active["code"] == "INVALID_TRANSITION" and active["currentStatus"] == "ORIENTED"


def test_claim_is_once_per_document(gql: GQL, world: dict[str, Any]) -> None:
    doc = (
        'mutation { a: claimDossier(beneficiaryLastName: "X", carnetNumber: "111aaa") { __typename }'
        ' b: claimDossier(beneficiaryLastName: "Y", carnetNumber: "222bbb") { __typename } }'
    )
    body = gql(doc, token=world["op_b"])
    assert body["data"] is None
    assert "une seule fois" in body["errors"][0]["message"]


@pytest.mark.parametrize("carnet", ["12abc", "1234abc", "abc123", "12-abc", "", "123ab1"])
def test_bad_carnet_is_refused_with_the_expected_form(gql: GQL, world: dict[str, Any], carnet: str) -> None:
    result = gql.data(
        op.ORIENT,
        {"input": {"carnetNumber": carnet, "lastName": "Durand", "toStructureId": world["a"]}},
        token=world["coord"],
    )["orientBeneficiary"]
    assert result["code"] == "INVALID_INPUT"
    assert result["field"] == "input.carnetNumber"
    assert "000ysz" in result["message"]
    claim = gql.data(op.CLAIM, {"name": "Durand", "carnet": carnet}, token=world["op_a"])["claimDossier"]
    assert claim["code"] == "INVALID_INPUT" and "000ysz" in claim["message"]
    assert counts(gql, world["coord"]) == (0, 0, 0)


def test_known_carnet_is_a_conflict_that_says_to_retrieve(gql: GQL, world: dict[str, Any]) -> None:
    orient(gql, world, carnet="555abc")
    again = gql.data(
        op.ORIENT,
        {"input": {"carnetNumber": "555ABC", "lastName": "Autre", "toStructureId": world["b"]}},
        token=world["op_b"],
    )["orientBeneficiary"]
    assert again["code"] == "CONFLICT" and "récupérez" in again["message"]
    assert counts(gql, world["op_b"]) == (0, 0, 0)


def test_stale_expected_version_is_a_conflict(gql: GQL, world: dict[str, Any]) -> None:
    dossier = orient(gql, world)
    stale = gql.data(op.TAKE, {"id": dossier["id"], "v": dossier["version"] + 5}, token=world["op_a"])[
        "takeInCharge"
    ]
    assert stale["code"] == "CONFLICT"
    fresh = gql.data(op.TAKE, {"id": dossier["id"], "v": dossier["version"]}, token=world["op_a"])[
        "takeInCharge"
    ]
    assert fresh["dossier"]["status"] == "TAKEN_IN_CHARGE"


def test_tabs_list_newest_first_search_and_pages(gql: GQL, world: dict[str, Any]) -> None:
    names = ["Dupont", "Éloïse-Martin", "N'Diaye", "Durand", "Petit"]
    ids = [orient(gql, world, carnet=f"{i:03d}abc", name=n)["id"] for i, n in enumerate(names)]
    tab = gql.data(op.LIST, {"status": "ORIENTED", "first": 2}, token=world["op_a"])["dossiers"]
    assert tab["totalCount"] == 5 and tab["pageInfo"]["hasNextPage"]
    assert [e["node"]["id"] for e in tab["edges"]] == ids[::-1][:2]
    seen = [e["node"]["id"] for e in tab["edges"]]
    after = tab["pageInfo"]["endCursor"]
    while after:
        page = gql.data(op.LIST, {"status": "ORIENTED", "first": 2, "after": after}, token=world["op_a"])[
            "dossiers"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert seen == ids[::-1]

    def search(term: str) -> list[str]:
        found = gql.data(op.LIST, {"status": "ORIENTED", "search": term}, token=world["op_a"])["dossiers"]
        return [e["node"]["beneficiary"]["lastName"] for e in found["edges"]]

    assert search("eloise") == ["Éloïse-Martin"]
    assert search("NDIAYE") == ["N'Diaye"]
    assert search("du") == ["Durand", "Dupont"]
    assert search("002ABC") == ["N'Diaye"]
    bad = gql(op.LIST, {"status": "ORIENTED", "search": "%%"}, token=world["op_a"])
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "search"}
    assert gql.data(op.LIST, {"status": "ORIENTED"}, token=world["op_b"])["dossiers"]["totalCount"] == 0


def test_page_size_is_capped_with_a_clear_error(gql: GQL, world: dict[str, Any]) -> None:
    body = gql(op.LIST, {"status": "ORIENTED", "first": 10_000}, token=world["op_a"])
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "first" in body["errors"][0]["message"]


def test_structure_dossier_counts_only_for_its_people(gql: GQL, world: dict[str, Any]) -> None:
    orient(gql, world)
    query = "query($id: ID!) { structure(id: $id) { dossierCounts { oriented } } }"
    assert gql.data(query, {"id": world["a"]})["structure"]["dossierCounts"] is None
    assert gql.data(query, {"id": world["a"]}, token=world["op_b"])["structure"]["dossierCounts"] is None
    assert gql.data(query, {"id": world["a"]}, token=world["op_a"])["structure"]["dossierCounts"] == {
        "oriented": 1
    }
    assert gql.data(query, {"id": world["a"]}, token=world["coord"])["structure"]["dossierCounts"] == {
        "oriented": 1
    }


def test_a_dossier_just_retrieved_is_not_taken_away_silently(
    gql: GQL, world: dict[str, Any], db: Database
) -> None:
    orient(gql, world, carnet="808abc", name="Roux")
    with db.write() as session:
        third = factories.structure(session, "Troisième lieu", operator=True, lat=45.6)
        op_c = factories.operator(session, third, "Chris")
    claimed = gql.data(op.CLAIM, {"name": "Roux", "carnet": "808abc"}, token=world["op_b"])["claimDossier"]
    # the next usual step must not end the protection
    gql.data(op.TAKE, {"id": claimed["dossier"]["id"]}, token=world["op_b"])
    second = gql.data(op.CLAIM, {"name": "Roux", "carnet": "808abc"}, token=op_c)["claimDossier"]
    assert second["code"] == "CONFLICT" and "Médiathèque B" in second["message"]


def test_forged_cursors_are_clear_errors(gql: GQL, world: dict[str, Any]) -> None:
    from resolvers.pagination import encode_cursor

    for cursor in (encode_cursor("2026-01-01T00:00:00", 1), encode_cursor("2026-01-01T00:00:00+00:00", "x")):
        body = gql(op.LIST, {"status": "ORIENTED", "after": cursor}, token=world["op_a"])
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}
    listing = gql("query($a: String) { structures(after: $a) { totalCount } }", {"a": encode_cursor("x")})
    assert listing["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}


@pytest.mark.parametrize("code", ["20123", "0A123", "2C001", "1601"])
def test_orient_and_the_map_agree_on_insee_codes(gql: GQL, world: dict[str, Any], code: str) -> None:
    # One pattern (models.mapping.INSEE_COMMUNE_CODE): orient used to accept codes the map refused.
    result = gql.data(
        op.ORIENT,
        {
            "input": {
                "carnetNumber": "321xyz",
                "lastName": "Durand",
                "communeCode": code,
                "toStructureId": world["a"],
            }
        },
        token=world["coord"],
    )["orientBeneficiary"]
    assert (result["code"], result["field"]) == ("INVALID_INPUT", "input.communeCode")
    body = gql(
        "query($c: String!) { nearbyOfferings(near: {communeCode: $c}) { edges { distanceKm } } }",
        {"c": code},
    )
    assert body["errors"][0]["extensions"]["field"] == "near.communeCode"
    assert counts(gql, world["coord"]) == (0, 0, 0)
