"""Operators acting at the same moment on the same dossier, through the HTTP app: exactly one wins."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import func, select

from app.database import Database
from models import DossierEvent
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op


def fire(app: Any, requests: list[tuple[str, dict[str, Any], str]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(
                *[
                    client.post(
                        "/graphql",
                        json={"query": q, "variables": v},
                        headers={"Authorization": f"Bearer {t}"},
                    )
                    for q, v, t in requests
                ]
            )

    return asyncio.run(run())


def outcomes(responses: list[httpx.Response], field: str) -> Counter[str]:
    counted: Counter[str] = Counter()
    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        counted[body["data"][field]["__typename"]] += 1
    return counted


def events(db: Database, kind: str) -> int:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.kind == kind))
            or 0
        )


def setup(db: Database) -> dict[str, Any]:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        b = factories.structure(session, "B", operator=True, lat=45.7)
        c = factories.structure(session, "C", operator=True, lat=45.8)
        dossier = factories.dossier(session, home.id, carnet="777abc", last_name="Durand")
        return {
            "dossier": to_global_id("Dossier", dossier.id),
            "b": to_global_id("Structure", b.id),
            "holder": factories.operator(session, home, "H"),
            "op_b": factories.operator(session, b, "B"),
            "op_c": factories.operator(session, c, "C"),
        }


def test_sixteen_identical_take_in_charge(app: Any, db: Database) -> None:
    s = setup(db)
    responses = fire(app, [(op.TAKE, {"id": s["dossier"]}, s["holder"])] * 16)
    assert outcomes(responses, "takeInCharge") == {"DossierPayload": 1, "InvalidTransitionError": 15}
    assert all("locked" not in r.text for r in responses)
    assert events(db, "TAKEN_IN_CHARGE") == 1


def test_reorient_racing_archive(app: Any, db: Database) -> None:
    s = setup(db)
    requests = [
        (op.REORIENT, {"id": s["dossier"], "to": s["b"]}, s["holder"]),
        (op.ARCHIVE, {"id": s["dossier"], "reason": "UNREACHABLE"}, s["holder"]),
    ] * 8
    responses = fire(app, requests)
    results = [r.json()["data"] for r in responses]
    wins = [next(iter(d)) for d in results if next(iter(d.values()))["__typename"] == "DossierPayload"]
    assert len(wins) == 1
    losers = [
        next(iter(d.values())) for d in results if next(iter(d.values()))["__typename"] != "DossierPayload"
    ]
    assert len(losers) == 15
    assert {loser["code"] for loser in losers} <= {"INVALID_TRANSITION", "NOT_FOUND", "CONFLICT"}
    assert events(db, "REORIENTED") + events(db, "ARCHIVED") == 1


def test_two_operators_claiming_the_same_carnet(app: Any, db: Database) -> None:
    s = setup(db)
    variables = {"name": "DURAND", "carnet": "777ABC"}
    responses = fire(app, [(op.CLAIM, variables, s["op_b"]), (op.CLAIM, variables, s["op_c"])] * 4)
    counted = outcomes(responses, "claimDossier")
    assert counted["DossierPayload"] == 1, counted
    assert sum(counted.values()) == 8
    assert events(db, "CLAIMED") == 1
