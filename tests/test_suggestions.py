"""reorientationSuggestions: each rule of the score seen to act on hand-made geometry, reasons, access."""

from __future__ import annotations

import asyncio
import itertools
import math
from typing import Any

import pytest
import strawberry
from sqlalchemy.orm import Session
from strawberry.tools import merge_types

from app.context import Context, Services
from app.database import Database
from app.limits import build_limiter
from app.settings import Settings
from geo.points import EARTH_RADIUS_KM, haversine_km
from models import Dossier, ServiceKind, Structure
from models.errors import InvalidInput, NotFound, Unauthenticated
from resolvers.auth import authenticate
from resolvers.ids import to_global_id
from resolvers.suggestions import reorientation_suggestions, score
from schema.extensions import DomainErrors, mask_errors
from schema.mapping import MappingQuery
from schema.suggestions import SuggestionQuery
from tests import factories
from tests.geo_factories import commune

ADMIN, SAFE, PARENTING = (
    ServiceKind.ADMINISTRATIVE_PROCEDURES,
    ServiceKind.SAFE_DIGITAL_USE,
    ServiceKind.PARENTING_AND_EDUCATION,
)
ORIGIN = (45.0, 0.0)
_carnets = itertools.count(1)
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180


def north(km: float) -> tuple[float, float]:
    """The point ``km`` due north of the origin (along a meridian, distances are exact)."""
    return ORIGIN[0] + km / KM_PER_DEGREE, ORIGIN[1]


def place(
    session: Session,
    name: str,
    km: float,
    kinds: tuple[ServiceKind, ...],
    *,
    carnet: bool = False,
    operator: bool = True,
) -> Structure:
    lat, lon = north(km)
    return factories.structure(
        session, name, lat=lat, lon=lon, kinds=kinds, operator=operator, accepts_carnet=carnet
    )


def dossier(session: Session, holder: Structure, needs: str, commune_code: str | None = "16015") -> Dossier:
    row = Dossier(
        carnet_number=f"{next(_carnets):03d}abc",
        last_name="Martin",
        name_key="martin",
        needs=needs,
        structure_id=holder.id,
        status="ORIENTED",
        version=1,
        commune_code=commune_code,
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def world(db: Database) -> dict[str, Any]:
    with db.write() as session:
        commune(session, "16015", "Origine", *ORIGIN)
        holder = place(session, "Porteur", 0.0, (ADMIN, SAFE), carnet=True)
        place(session, "Tout, loin", 25.0, (ADMIN, SAFE))
        place(session, "Partiel, tout près, carnet", 1.0, (ADMIN,), carnet=True)
        place(session, "Partiel à 5 km", 5.0, (ADMIN,))
        place(session, "Partiel à 5,5 km, carnet", 5.5, (ADMIN,), carnet=True)
        place(session, "Partiel à 10 km", 10.0, (ADMIN,))
        place(session, "Partiel à 15 km, carnet", 15.0, (ADMIN,), carnet=True)
        place(session, "Non membre", 2.0, (ADMIN, SAFE), operator=False)
        place(session, "Hors rayon", 31.0, (ADMIN, SAFE), carnet=True)
        place(session, "Autre service", 2.0, (PARENTING,))
        other = place(session, "Autre membre", 40.0, (ADMIN,))
        tokens = {
            "holder": factories.operator(session, holder, "Opératrice du porteur"),
            "other": factories.operator(session, other, "Opérateur d'ailleurs"),
            "coordinator": factories.operator(session, None, "Coordinatrice"),
        }
        row = dossier(session, holder, "ADMINISTRATIVE_PROCEDURES,SAFE_DIGITAL_USE")
        return {"dossier": row.id, "holder": holder.id, "tokens": tokens}


def suggest(db: Database, token: str | None, dossier_pk: int, **kwargs: Any) -> list[Any]:
    args: dict[str, Any] = {"kinds": None, "radius_km": 30.0, "first": 10}
    args.update(kwargs)
    with db.read() as session:
        actor = authenticate(session, token) if token else None
        return reorientation_suggestions(
            session,
            actor,
            dossier_pk,
            args["kinds"],
            args["radius_km"],
            args["first"],
            max_radius_km=100.0,
            cap=100,
        )


def test_each_rule_of_the_score_acts(db: Database, world: dict[str, Any]) -> None:
    got = suggest(db, world["tokens"]["holder"], world["dossier"])
    names = [s.structure.name for s in got]
    assert names == [
        # Coverage first: the only one covering both needs wins though it is the farthest.
        "Tout, loin",
        "Partiel, tout près, carnet",
        # The carnet decides between near-equals: 5.5 km with carnets before 5 km without.
        "Partiel à 5,5 km, carnet",
        "Partiel à 5 km",
        # Distance next: 10 km before 15 km, though only the latter takes carnets (10 km apart is not near).
        "Partiel à 10 km",
        "Partiel à 15 km, carnet",
    ]
    # Never the holding structure, nor non-members, nor beyond the radius, nor without a needed kind.
    assert not {"Porteur", "Non membre", "Hors rayon", "Autre service", "Autre membre"} & set(names)

    best = got[0]
    assert best.matched == [ADMIN, SAFE] and best.missing == []
    assert math.isclose(best.distance_km, haversine_km(*ORIGIN, *north(25.0)), abs_tol=1e-9)
    assert math.isclose(best.distance_km, 25.0, abs_tol=1e-6)
    assert best.score == pytest.approx(100 + 10 * (1 - 25 / 30))
    assert best.reasons == [
        "à 25,0 km",
        "couvre 2 besoins sur 2",
        "propose : Aide aux démarches administratives, Utilisation sécurisée du numérique",
        "n'accepte pas les carnets",
        "aucun dossier en attente",
    ]
    near = got[1]
    assert near.matched == [ADMIN] and near.missing == [SAFE]
    assert near.score == pytest.approx(50 + 10 * (1 - 1 / 30) + 1)
    assert near.reasons == [
        "à 1,0 km",
        "couvre 1 besoin sur 2",
        "propose : Aide aux démarches administratives",
        "ne propose pas : Utilisation sécurisée du numérique",
        "accepte les carnets",
        "aucun dossier en attente",
    ]
    assert [s.score for s in got] == sorted((s.score for s in got), reverse=True)


def test_score_weights_keep_their_order() -> None:
    # One more need covered (of nine) outweighs the whole radius and a carnet.
    assert score(2, 9, 29.9, 30, False) > score(1, 9, 0.0, 30, True)
    # A carnet outweighs less than a tenth of the radius, not more.
    assert score(1, 2, 5.5, 30, True) > score(1, 2, 5.0, 30, False)
    assert score(1, 2, 9.0, 30, True) < score(1, 2, 5.0, 30, False)
    # No known need: every candidate covers it all.
    assert score(0, 0, 3.0, 30, False) == pytest.approx(100 + 10 * (1 - 3 / 30))


def test_kinds_first_and_radius(db: Database, world: dict[str, Any]) -> None:
    token = world["tokens"]["holder"]
    parenting = suggest(db, token, world["dossier"], kinds=[PARENTING])
    assert [s.structure.name for s in parenting] == ["Autre service"]
    assert parenting[0].matched == [PARENTING] and parenting[0].missing == []
    assert [s.structure.name for s in suggest(db, token, world["dossier"], first=2)] == [
        "Tout, loin",
        "Partiel, tout près, carnet",
    ]
    assert [s.structure.name for s in suggest(db, token, world["dossier"], radius_km=5.2)] == [
        "Partiel, tout près, carnet",
        "Partiel à 5 km",
    ]
    with pytest.raises(InvalidInput) as raised:
        suggest(db, token, world["dossier"], radius_km=150.0)
    assert raised.value.field == "radiusKm"


def test_without_needs_any_offering_counts(db: Database, world: dict[str, Any]) -> None:
    with db.write() as session:
        holder = session.get(Structure, world["holder"])
        assert holder is not None
        pk = dossier(session, holder, "", commune_code="16015").id
    got = suggest(db, world["tokens"]["holder"], pk)
    names = [s.structure.name for s in got]
    # Same coverage for all: distance first, the carnet between near-equals.
    assert names[:3] == ["Partiel, tout près, carnet", "Autre service", "Partiel à 5,5 km, carnet"]
    assert all(s.matched == [] and s.missing == [] for s in got)
    assert got[1].reasons[1] == "propose : Parentalité et éducation avec le numérique"


def test_origin_falls_back_to_the_holding_structure(db: Database, world: dict[str, Any]) -> None:
    with db.write() as session:
        # A holder 100 km north, with a member nearby, and a dossier whose commune is unknown.
        far_holder = place(session, "Porteur du nord", 100.0, (ADMIN,))
        place(session, "Voisin du nord", 102.0, (ADMIN,))
        token = factories.operator(session, far_holder, "Opérateur du nord")
        with_commune = dossier(session, far_holder, "ADMINISTRATIVE_PROCEDURES", commune_code="16015").id
        unknown_commune = dossier(session, far_holder, "ADMINISTRATIVE_PROCEDURES", commune_code="99999").id
    # The beneficiary's commune wins when known (the holder itself is never suggested).
    assert "Voisin du nord" not in [s.structure.name for s in suggest(db, token, with_commune)]
    assert "Porteur" in [s.structure.name for s in suggest(db, token, with_commune)]
    fallback = suggest(db, token, unknown_commune)
    assert [s.structure.name for s in fallback] == ["Voisin du nord"]
    assert math.isclose(fallback[0].distance_km, 2.0, abs_tol=1e-6)


def test_only_the_holding_structure_and_coordinators_may_ask(db: Database, world: dict[str, Any]) -> None:
    tokens, pk = world["tokens"], world["dossier"]
    assert suggest(db, tokens["coordinator"], pk)
    assert suggest(db, tokens["holder"], pk)
    with pytest.raises(NotFound):
        suggest(db, tokens["other"], pk)
    with pytest.raises(NotFound):
        suggest(db, tokens["holder"], pk + 1000)
    with pytest.raises(Unauthenticated):
        suggest(db, None, pk)


QUERY = """
query($id: ID!, $kinds: [ServiceKind!], $radiusKm: Float, $first: Int) {
  reorientationSuggestions(dossierId: $id, kinds: $kinds, radiusKm: $radiusKm, first: $first) {
    structure { id name isOperator }
    distanceKm matchedKinds missingKinds score reasons
  }
}
"""


def run(settings: Settings, db: Database, token: str | None, variables: dict[str, Any]) -> Any:
    schema = strawberry.Schema(
        query=merge_types("Query", (MappingQuery, SuggestionQuery)), extensions=[DomainErrors, mask_errors]
    )
    with db.read() as session:
        actor = authenticate(session, token) if token else None
    context = Context(
        services=Services(settings=settings, db=db, limiter=build_limiter(settings)), actor=actor
    )
    return asyncio.run(schema.execute(QUERY, variable_values=variables, context_value=context))


def test_over_graphql(settings: Settings, db: Database, world: dict[str, Any]) -> None:
    gid = to_global_id("Dossier", world["dossier"])
    result = run(settings, db, world["tokens"]["holder"], {"id": gid, "first": 2})
    assert result.errors is None, result.errors
    first = result.data["reorientationSuggestions"][0]
    assert first["structure"]["name"] == "Tout, loin" and first["structure"]["isOperator"] is True
    assert first["matchedKinds"] == ["ADMINISTRATIVE_PROCEDURES", "SAFE_DIGITAL_USE"]
    assert first["missingKinds"] == [] and first["reasons"][0] == "à 25,0 km"
    assert len(result.data["reorientationSuggestions"]) == 2

    cases: list[tuple[str | None, dict[str, Any], str]] = [
        (None, {"id": gid}, "UNAUTHENTICATED"),
        (None, {"id": "not-an-id"}, "UNAUTHENTICATED"),
        (world["tokens"]["other"], {"id": gid}, "NOT_FOUND"),
        (world["tokens"]["holder"], {"id": "not-an-id"}, "INVALID_INPUT"),
        (world["tokens"]["holder"], {"id": gid, "radiusKm": 0}, "INVALID_INPUT"),
        (world["tokens"]["holder"], {"id": gid, "first": -1}, "INVALID_INPUT"),
    ]
    for token, variables, code in cases:
        errors = run(settings, db, token, variables).errors
        assert errors and errors[0].extensions["code"] == code, (variables, errors)
