"""Members pausing new orientations, and the load of a structure in its suggestions, on hand-made data."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.database import Database
from models import Dossier, DossierEvent, Structure, utcnow
from resolvers.ids import to_global_id
from resolvers.suggestions import WEIGHT_LOAD, load, score
from tests import factories
from tests import operations as op
from tests.conftest import GQL
from tests.geo_factories import commune
from tests.test_suggestions import ADMIN, ORIGIN, dossier, place, suggest

SET = """mutation($id: ID!, $accepting: Boolean!, $until: DateTime) {
  setAcceptingOrientations(structureId: $id, accepting: $accepting, until: $until) {
    __typename
    ... on StructurePayload { structure { name acceptingOrientations } }
    ... on Error { code message }
    ... on InvalidInputError { field }
  }
}"""
_carnets = itertools.count(500)


@pytest.fixture
def world(db: Database) -> dict[str, Any]:
    with db.write() as session:
        commune(session, "16015", "Origine", *ORIGIN)
        holder = place(session, "Porteur", 0.0, (ADMIN,))
        calm = place(session, "Calme", 3.0, (ADMIN,))
        busy = place(session, "Chargé", 3.0, (ADMIN,))
        mapped = place(session, "Carte seule", 3.0, (ADMIN,), operator=False)
        row = dossier(session, holder, "ADMINISTRATIVE_PROCEDURES")
        return {
            "ids": {"holder": holder.id, "calm": calm.id, "busy": busy.id, "mapped": mapped.id},
            "dossier": row.id,
            "op_holder": factories.operator(session, holder, "Opératrice du porteur"),
            "op_calm": factories.operator(session, calm, "Opérateur du calme"),
            "coord": factories.operator(session, None, "Coordinatrice"),
        }


def _gid(world: dict[str, Any], name: str) -> str:
    return to_global_id("Structure", world["ids"][name])


def _set(gql: GQL, token: str, gid: str, accepting: bool, until: str | None = None) -> dict[str, Any]:
    result = gql.data(SET, {"id": gid, "accepting": accepting, "until": until}, token=token)
    return dict(result["setAcceptingOrientations"])


def _names(db: Database, world: dict[str, Any]) -> list[str]:
    return [s.structure.name for s in suggest(db, world["op_holder"], world["dossier"])]


def test_a_paused_member_is_not_suggested_nor_oriented_to_until_it_resumes(
    db: Database, gql: GQL, world: dict[str, Any]
) -> None:
    assert _names(db, world) == ["Calme", "Chargé"]
    until = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    paused = _set(gql, world["op_calm"], _gid(world, "calm"), False, until.isoformat())
    assert paused == {
        "__typename": "StructurePayload",
        "structure": {"name": "Calme", "acceptingOrientations": False},
    }
    assert _names(db, world) == ["Chargé"]

    # Orienting or reorienting to it is refused on toStructureId, with the date in the place's own time.
    local = until.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %H:%M")
    orient = gql.data(
        op.ORIENT,
        {"input": {"carnetNumber": "901xyz", "lastName": "Durand", "toStructureId": _gid(world, "calm")}},
        token=world["coord"],
    )["orientBeneficiary"]
    assert orient["__typename"] == "InvalidInputError" and orient["field"] == "input.toStructureId"
    assert f"jusqu'au {local}" in orient["message"] and "Calme" in orient["message"]
    reorient = gql.data(
        op.REORIENT,
        {"id": to_global_id("Dossier", world["dossier"]), "to": _gid(world, "calm")},
        token=world["op_holder"],
    )["reorientDossier"]
    assert reorient["__typename"] == "InvalidInputError" and reorient["field"] == "toStructureId"
    assert f"jusqu'au {local}" in reorient["message"]

    # A pause without an end says so; the coordinator may resume it.
    assert _set(gql, world["coord"], _gid(world, "calm"), False)["__typename"] == "StructurePayload"
    reorient = gql.data(
        op.REORIENT,
        {"id": to_global_id("Dossier", world["dossier"]), "to": _gid(world, "calm")},
        token=world["op_holder"],
    )["reorientDossier"]
    assert "jusqu'à nouvel ordre" in reorient["message"]
    resumed = _set(gql, world["coord"], _gid(world, "calm"), True)
    assert resumed["structure"]["acceptingOrientations"] is True
    assert _names(db, world) == ["Calme", "Chargé"]

    # Past its end, a pause is over by itself.
    _set(gql, world["op_calm"], _gid(world, "calm"), False, until.isoformat())
    with db.write() as session:
        session.execute(
            update(Structure)
            .where(Structure.id == world["ids"]["calm"])
            .values(paused_until=utcnow() - timedelta(minutes=1))
        )
    assert _names(db, world) == ["Calme", "Chargé"]
    reorient = gql.data(
        op.REORIENT,
        {"id": to_global_id("Dossier", world["dossier"]), "to": _gid(world, "calm")},
        token=world["op_holder"],
    )["reorientDossier"]
    assert reorient["__typename"] == "DossierPayload"


def test_a_closed_member_is_neither_suggested_nor_oriented_to(
    db: Database, gql: GQL, world: dict[str, Any]
) -> None:
    with db.write() as session:
        session.execute(
            update(Structure).where(Structure.id == world["ids"]["calm"]).values(closed_at=utcnow())
        )
    assert _names(db, world) == ["Chargé"]
    reorient = gql.data(
        op.REORIENT,
        {"id": to_global_id("Dossier", world["dossier"]), "to": _gid(world, "calm")},
        token=world["op_holder"],
    )["reorientDossier"]
    assert reorient["__typename"] == "InvalidInputError" and "est fermé" in reorient["message"]


def test_who_may_pause_and_bad_input(gql: GQL, world: dict[str, Any]) -> None:
    future = (utcnow() + timedelta(days=1)).isoformat()
    cases = [
        (world["op_calm"], "busy", False, None, "NotAllowedError", None),
        (world["op_holder"], "calm", False, None, "NotAllowedError", None),
        (world["coord"], "mapped", False, None, "InvalidInputError", "structureId"),
        (
            world["op_calm"],
            "calm",
            False,
            (utcnow() - timedelta(days=1)).isoformat(),
            "InvalidInputError",
            "until",
        ),
        (world["op_calm"], "calm", True, future, "InvalidInputError", "until"),
    ]
    for token, name, accepting, until, typename, field in cases:
        result = _set(gql, token, _gid(world, name), accepting, until)
        assert result["__typename"] == typename, (name, result)
        assert result.get("field") == field and result["message"]
    missing = _set(gql, world["coord"], to_global_id("Structure", 999_999), False)
    assert missing["__typename"] == "NotFoundError"
    anonymous = gql.data(SET, {"id": _gid(world, "calm"), "accepting": False})["setAcceptingOrientations"]
    assert anonymous["__typename"] == "NotAllowedError" and anonymous["code"] == "UNAUTHENTICATED"
    # Nothing changed.
    body = gql.data(
        "{ structures(filter: {operatorsOnly: true}) { edges { node { name acceptingOrientations } } } }"
    )
    assert all(e["node"]["acceptingOrientations"] for e in body["structures"]["edges"])


def _waiting(db: Database, structure_id: int, n: int) -> None:
    with db.write() as session:
        for _ in range(n):
            session.add(
                Dossier(
                    carnet_number=f"{next(_carnets):03d}wai",
                    last_name="Attente",
                    name_key="attente",
                    needs="ADMINISTRATIVE_PROCEDURES",
                    structure_id=structure_id,
                    status="ORIENTED",
                    version=1,
                )
            )


def _taken_after(db: Database, structure_id: int, days: list[float]) -> None:
    """Dossiers oriented to the structure then taken in charge ``days`` later, within the last 90 days."""
    now = utcnow()
    with db.write() as session:
        for d in days:
            row = Dossier(
                carnet_number=f"{next(_carnets):03d}pec",
                last_name="Suivi",
                name_key="suivi",
                needs="ADMINISTRATIVE_PROCEDURES",
                structure_id=structure_id,
                status="TAKEN_IN_CHARGE",
                version=2,
            )
            session.add(row)
            session.flush()
            start = now - timedelta(days=30)
            session.add(
                DossierEvent(dossier_id=row.id, kind="ORIENTED", at=start, to_structure_id=structure_id)
            )
            session.flush()
            session.add(
                DossierEvent(
                    dossier_id=row.id,
                    kind="TAKEN_IN_CHARGE",
                    at=start + timedelta(days=d),
                    previous_since=start,
                    from_structure_id=structure_id,
                    to_structure_id=structure_id,
                )
            )


def test_load_ranks_a_busy_place_after_an_equal_calm_one(db: Database, world: dict[str, Any]) -> None:
    _waiting(db, world["ids"]["busy"], 12)
    # Four dossiers taken in charge: too few for a median.
    _taken_after(db, world["ids"]["busy"], [2, 4, 6, 8])
    got = suggest(db, world["op_holder"], world["dossier"])
    calm, busy = got
    assert (calm.structure.name, busy.structure.name) == ("Calme", "Chargé")
    assert (calm.waiting, calm.median_days, busy.waiting, busy.median_days) == (0, None, 12, None)
    assert "aucun dossier en attente" in calm.reasons and "12 dossiers en attente" in busy.reasons
    assert calm.score - busy.score == pytest.approx(WEIGHT_LOAD * load(12, None)) == pytest.approx(3.0)

    # A fifth: the median of 2, 4, 4, 6, 8 days is 4.
    _taken_after(db, world["ids"]["busy"], [4])
    busy = suggest(db, world["op_holder"], world["dossier"])[1]
    assert busy.median_days == pytest.approx(4.0)
    assert "prend en charge en 4 jours (médiane)" in busy.reasons
    assert calm.score - busy.score == pytest.approx(WEIGHT_LOAD * (12 / 20 + 4 / 30) / 2)


def test_load_is_never_worth_one_more_need() -> None:
    # The busiest place covering one more need (of nine, the least a need weighs) still wins, at equal distance.
    assert load(1000, 1000.0) == 1.0
    assert score(2, 9, 10.0, 30, False, waiting=1000, median_days=1000.0) > score(1, 9, 10.0, 30, False)
    # Between otherwise equal places, fewer waiting dossiers and a shorter median rank first.
    assert score(1, 1, 3.0, 30, False, waiting=2) > score(1, 1, 3.0, 30, False, waiting=3)
    assert score(1, 1, 3.0, 30, False, median_days=3.0) > score(1, 1, 3.0, 30, False, median_days=5.0)
