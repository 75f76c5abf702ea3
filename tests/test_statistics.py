"""statistics(from, to): hand-computed figures on a small network, on both backends, for coordinators only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.database import Database
from models import Dossier, DossierEvent, DossierStatus, utcnow
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL

STATISTICS = """
query Stats($from: DateTime!, $to: DateTime!) {
  statistics(from: $from, to: $to) {
    oriented takenInCharge reoriented archived declined expired claimed medianDaysToTakeInCharge
    archiveReasons { reason count }
    declineReasons { reason count }
    byStructure { structure { name } oriented takenInCharge reorientedAway archived declined expired
                  waitingNow medianDaysToTakeInCharge }
    flows { from { name } to { name } count }
  }
}
"""
NOVEMBER = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


def at(day: int, hour: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def history(session: Session, dossier: Dossier, *steps: tuple[Any, ...]) -> None:
    """Events as (kind, at, from, to[, reason]); ARCHIVED takes an archive reason, DECLINED a decline one.

    ``previous_since`` is what a transition records: when the status it ends began (a reminder changes none).
    """
    since = None
    for kind, when, source, target, *reason in steps:
        session.add(
            DossierEvent(
                dossier_id=dossier.id,
                kind=kind,
                at=when,
                actor_name="Camille",
                from_structure_id=source,
                to_structure_id=target,
                archive_reason=reason[0] if reason and kind == "ARCHIVED" else None,
                decline_reason=reason[0] if reason and kind == "DECLINED" else None,
                previous_since=since,
            )
        )
        if kind != "REMINDED":
            since = when
    session.flush()


def network(session: Session) -> dict[str, Any]:
    """Seven dossiers over three structures; the figures expected for November are worked out in the test."""
    a = factories.structure(session, "A", operator=True)
    b = factories.structure(session, "B", operator=True, lat=45.7)
    c = factories.structure(session, "C", operator=True, lat=45.8)
    S = DossierStatus
    d1 = factories.dossier(session, a.id, status=S.ARCHIVED, last_name="Un")
    history(
        session,
        d1,
        ("ORIENTED", at(2), None, a.id),
        ("TAKEN_IN_CHARGE", at(4), a.id, a.id),
        ("ARCHIVED", at(10), a.id, a.id, "PATH_COMPLETED"),
    )
    d2 = factories.dossier(session, b.id, status=S.TAKEN_IN_CHARGE, last_name="Deux")
    history(
        session,
        d2,
        ("ORIENTED", at(3), None, a.id),
        ("REMINDED", at(13), a.id, a.id),
        ("REORIENTED", at(14, 12), a.id, b.id),
        ("TAKEN_IN_CHARGE", at(20, 12), b.id, b.id),
    )
    d3 = factories.dossier(session, b.id, status=S.TAKEN_IN_CHARGE, last_name="Trois")
    history(session, d3, ("ORIENTED", at(28, month=10), None, b.id), ("TAKEN_IN_CHARGE", at(1), b.id, b.id))
    d4 = factories.dossier(session, a.id, status=S.ORIENTED, last_name="Quatre")
    history(
        session,
        d4,
        ("ORIENTED", at(5), None, c.id),
        ("DECLINED", at(6), c.id, c.id, "NO_CAPACITY"),
        ("REORIENTED", at(7), c.id, a.id),
    )
    d5 = factories.dossier(session, c.id, status=S.ARCHIVED, last_name="Cinq")
    history(
        session,
        d5,
        ("ORIENTED", at(8), None, c.id),
        ("EXPIRED", at(9), c.id, c.id),
        ("ARCHIVED", at(25), c.id, c.id, "UNREACHABLE"),
    )
    d6 = factories.dossier(session, a.id, status=S.TAKEN_IN_CHARGE, last_name="Six")
    history(
        session,
        d6,
        ("ORIENTED", at(15), None, b.id),
        ("CLAIMED", at(16), b.id, a.id),
        ("TAKEN_IN_CHARGE", at(26), a.id, a.id),
    )
    d7 = factories.dossier(session, b.id, status=S.ORIENTED, last_name="Sept")
    history(session, d7, ("ORIENTED", at(1, month=12), None, b.id))  # the first instant after the period
    return {
        "coordinator": factories.operator(session, None, "Coord"),
        "operator": factories.operator(session, a),
    }


def _card(name: str, **figures: Any) -> dict[str, Any]:
    base = {
        "oriented": 0,
        "takenInCharge": 0,
        "reorientedAway": 0,
        "archived": 0,
        "declined": 0,
        "expired": 0,
        "waitingNow": 0,
        "medianDaysToTakeInCharge": None,
    }
    return {"structure": {"name": name}, **base, **figures}


# Takings in charge in November, in days since the dossier last became ORIENTED:
# d1 2 (at A), d2 6 (at B, from its reorientation, not its first orientation), d3 4 (at B, oriented in
# October), d6 10 (at A, from its retrieval). Network median (4 + 6) / 2; A's (2 + 10) / 2; B's (6 + 4) / 2.
EXPECTED = {
    "oriented": 5,  # d1..d6 but d3 (October); d7 is on the excluded bound
    "takenInCharge": 4,
    "reoriented": 2,
    "archived": 2,
    "declined": 1,
    "expired": 1,
    "claimed": 1,
    "medianDaysToTakeInCharge": 5.0,
    "archiveReasons": [{"reason": "PATH_COMPLETED", "count": 1}, {"reason": "UNREACHABLE", "count": 1}],
    "declineReasons": [{"reason": "NO_CAPACITY", "count": 1}],
    "byStructure": [
        _card(
            "A",
            oriented=3,
            takenInCharge=2,
            reorientedAway=1,
            archived=1,
            waitingNow=1,
            medianDaysToTakeInCharge=6.0,
        ),
        _card("B", oriented=2, takenInCharge=2, waitingNow=1, medianDaysToTakeInCharge=5.0),
        _card("C", oriented=2, reorientedAway=1, archived=1, declined=1, expired=1),
    ],
    "flows": [
        {"from": {"name": "A"}, "to": {"name": "B"}, "count": 1},
        {"from": {"name": "C"}, "to": {"name": "A"}, "count": 1},
    ],
}


@pytest.fixture
def tokens(db: Database) -> dict[str, Any]:
    with db.write() as session:
        return network(session)


def test_hand_computed_figures(gql: GQL, tokens: dict[str, Any]) -> None:
    assert gql.data(STATISTICS, NOVEMBER, token=tokens["coordinator"])["statistics"] == EXPECTED


def test_period_bounds_and_an_odd_median(gql: GQL, tokens: dict[str, Any]) -> None:
    # [Nov 1, Nov 21): takings in charge d1 (2), d3 (4), d2 (6): the middle one.
    stats = gql.data(
        STATISTICS,
        {"from": "2026-11-01T00:00:00Z", "to": "2026-11-21T00:00:00Z"},
        token=tokens["coordinator"],
    )["statistics"]
    assert (stats["takenInCharge"], stats["medianDaysToTakeInCharge"]) == (3, 4.0)
    assert stats["archived"] == 1 and stats["claimed"] == 1
    # December holds d7's orientation only; waitingNow does not depend on the period.
    december = gql.data(
        STATISTICS,
        {"from": "2026-12-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"},
        token=tokens["coordinator"],
    )["statistics"]
    assert december["oriented"] == 1 and december["medianDaysToTakeInCharge"] is None
    assert [(s["structure"]["name"], s["oriented"], s["waitingNow"]) for s in december["byStructure"]] == [
        ("A", 0, 1),
        ("B", 1, 1),
    ]


def test_coordinators_only(gql: GQL, tokens: dict[str, Any]) -> None:
    operator = gql(STATISTICS, NOVEMBER, token=tokens["operator"])
    assert operator["data"] is None and operator["errors"][0]["extensions"]["code"] == "NOT_ALLOWED"
    anonymous = gql(STATISTICS, NOVEMBER)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_period_must_go_forward(gql: GQL, tokens: dict[str, Any]) -> None:
    body = gql(STATISTICS, {"from": NOVEMBER["to"], "to": NOVEMBER["from"]}, token=tokens["coordinator"])
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "to"} and "from" in error["message"]


def test_a_taking_in_charge_through_the_api_counts_the_days_it_waited(gql: GQL, db: Database) -> None:
    with db.write() as session:
        home = factories.structure(session, "A", operator=True)
        coordinator, operator = factories.operator(session, None, "Coord"), factories.operator(session, home)
    created = gql.data(
        op.ORIENT,
        {
            "input": {
                "carnetNumber": "321abc",
                "lastName": "Durand",
                "toStructureId": to_global_id("Structure", home.id),
            }
        },
        token=coordinator,
    )
    dossier_id = created["orientBeneficiary"]["dossier"]["id"]
    with db.write() as session:  # as if it had been oriented three days ago
        session.execute(update(Dossier).values(status_since=utcnow() - timedelta(days=3)))
    assert (
        gql.data(op.TAKE, {"id": dossier_id}, token=operator)["takeInCharge"]["__typename"]
        == "DossierPayload"
    )
    now = utcnow()
    period = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}
    stats = gql.data(STATISTICS, period, token=coordinator)["statistics"]
    assert (stats["oriented"], stats["takenInCharge"], stats["medianDaysToTakeInCharge"]) == (1, 1, 3.0)
