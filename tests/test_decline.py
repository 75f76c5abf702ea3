"""Decline: the structure a dossier was sent to gives it back; the coordinators' queue « À réorienter »."""

from __future__ import annotations

from typing import Any

from tests import operations as op
from tests.conftest import GQL
from tests.test_dossiers import orient, world  # noqa: F401 - the fixture


def test_decline_sends_the_dossier_to_the_coordinators_queue(gql: GQL, world: dict[str, Any]) -> None:  # noqa: F811
    dossier = orient(gql, world)
    result = gql.data(
        op.DECLINE,
        {"id": dossier["id"], "reason": "NO_CAPACITY", "note": "Plus de place avant mars", "v": 1},
        token=world["op_a"],
    )["declineDossier"]
    assert result["__typename"] == "DossierPayload", result
    assert result["dossier"]["status"] == "RETURNED" and result["dossier"]["version"] == 2

    # It left the operator's tabs, and the operator sees no queue.
    op_counts = gql.data("{ dossierCounts { oriented returned } }", token=world["op_a"])["dossierCounts"]
    assert op_counts == {"oriented": 0, "returned": 0}
    mine = gql.data(op.QUEUE, token=world["op_a"])
    assert mine["dossiers"]["totalCount"] == 0 and mine["dossierCounts"]["returned"] == 0
    assert gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_a"])["dossier"] is None

    queue = gql.data(op.QUEUE, token=world["coord"])
    assert queue["dossierCounts"]["returned"] == 1
    node = queue["dossiers"]["edges"][0]["node"]
    assert node["declineReason"] == "NO_CAPACITY" and node["structure"]["name"] == "Espace numérique A"
    assert node["history"][-1] == {
        "kind": "DECLINED",
        "actor": "Alex Opérateur",
        "declineReason": "NO_CAPACITY",
        "note": "Plus de place avant mars",
    }

    # The coordinator orients it again; it leaves the queue and the reason goes with the status.
    again = gql.data(op.REORIENT, {"id": dossier["id"], "to": world["b"]}, token=world["coord"])
    assert again["reorientDossier"]["dossier"]["structure"]["name"] == "Médiathèque B"
    assert gql.data(op.QUEUE, token=world["coord"])["dossierCounts"]["returned"] == 0
    back = gql.data(
        "query($id: ID!) { dossier(id: $id) { status declineReason } }",
        {"id": dossier["id"]},
        token=world["op_b"],
    )["dossier"]
    assert back == {"status": "ORIENTED", "declineReason": None}


def test_decline_needs_a_note_for_other_and_changes_nothing(gql: GQL, world: dict[str, Any]) -> None:  # noqa: F811
    dossier = orient(gql, world)
    result = gql.data(op.DECLINE, {"id": dossier["id"], "reason": "OTHER"}, token=world["op_a"])
    error = result["declineDossier"]
    assert error["__typename"] == "InvalidInputError" and error["field"] == "note"
    assert "note" in error["message"]
    assert gql.data(op.DOSSIER, {"id": dossier["id"]}, token=world["op_a"])["dossier"]["status"] == "ORIENTED"


def test_a_returned_dossier_can_be_retrieved_by_name_and_carnet(gql: GQL, world: dict[str, Any]) -> None:  # noqa: F811
    dossier = orient(gql, world)
    gql.data(op.DECLINE, {"id": dossier["id"], "reason": "OUTSIDE_OUR_AREA"}, token=world["op_a"])
    claimed = gql.data(op.CLAIM, {"name": "LEFEVRE", "carnet": "123ABC"}, token=world["op_b"])["claimDossier"]
    assert claimed["dossier"]["status"] == "ORIENTED"
    assert claimed["dossier"]["structure"]["name"] == "Médiathèque B"
