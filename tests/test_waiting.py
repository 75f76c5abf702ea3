"""Waiting times: daysInStatus, expiresAt, the overdue count and the minDaysInStatus filter, in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from app.database import Database
from app.settings import Settings
from models import DossierStatus, utcnow
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import GQL

DAY = timedelta(days=1)
LIST = """
query($status: DossierStatus!, $min: Int) {
  dossiers(status: $status, minDaysInStatus: $min) { totalCount edges { node { carnetNumber daysInStatus expiresAt } } }
}
"""
COUNTS = "{ dossierCounts { oriented takenInCharge archived returned overdue } }"


def _world(db: Database) -> dict[str, Any]:
    now = utcnow()
    with db.write() as session:
        a = factories.structure(session, "A", operator=True)
        b = factories.structure(session, "B", operator=True, lat=45.7, lon=0.2)
        factories.dossier(session, a.id, carnet="111aaa", since=now - 11 * DAY)  # overdue
        factories.dossier(
            session, a.id, carnet="222bbb", since=now - 10 * DAY + timedelta(hours=1)
        )  # not yet
        factories.dossier(session, a.id, carnet="333ccc", since=now - 3 * DAY)
        factories.dossier(
            session, a.id, carnet="444ddd", status=DossierStatus.TAKEN_IN_CHARGE, since=now - 40 * DAY
        )
        factories.dossier(session, b.id, carnet="555eee", since=now - 25 * DAY)  # overdue, elsewhere
        factories.dossier(session, b.id, carnet="666fff", status=DossierStatus.RETURNED, since=now - 2 * DAY)
        return {
            "a": a.id,
            "op_a": factories.operator(session, a, "Alex"),
            "coord": factories.operator(session, None, "Coline"),
            "now": now,
        }


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_overdue_and_returned_counts(gql: GQL, db: Database) -> None:
    w = _world(db)
    assert gql.data(COUNTS, token=w["op_a"])["dossierCounts"] == {
        "oriented": 3,
        "takenInCharge": 1,
        "archived": 0,
        "returned": 0,
        "overdue": 1,
    }
    assert gql.data(COUNTS, token=w["coord"])["dossierCounts"] == {
        "oriented": 4,
        "takenInCharge": 1,
        "archived": 0,
        "returned": 1,
        "overdue": 2,
    }
    structure = gql.data(
        "query($id: ID!) { structure(id: $id) { dossierCounts { oriented overdue } } }",
        {"id": to_global_id("Structure", w["a"])},
        token=w["op_a"],
    )["structure"]
    assert structure["dossierCounts"] == {"oriented": 3, "overdue": 1}


def test_days_in_status_expires_at_and_the_filter(gql: GQL, db: Database) -> None:
    w = _world(db)
    tab = gql.data(LIST, {"status": "ORIENTED", "min": 10}, token=w["op_a"])["dossiers"]
    assert tab["totalCount"] == 1
    node = tab["edges"][0]["node"]
    assert node["carnetNumber"] == "111aaa" and node["daysInStatus"] == 11
    # ORIENTED since 11 days: returns to the coordinators 30 days after it was oriented.
    assert abs(_at(node["expiresAt"]) - (w["now"] + 19 * DAY)) < timedelta(seconds=1)
    everything = gql.data(LIST, {"status": "ORIENTED", "min": 0}, token=w["op_a"])["dossiers"]
    assert sorted(e["node"]["daysInStatus"] for e in everything["edges"]) == [3, 9, 11]
    taken = gql.data(LIST, {"status": "TAKEN_IN_CHARGE", "min": 40}, token=w["op_a"])["dossiers"]
    assert taken["edges"][0]["node"] == {"carnetNumber": "444ddd", "daysInStatus": 40, "expiresAt": None}
    assert (
        gql.data(LIST, {"status": "TAKEN_IN_CHARGE", "min": 41}, token=w["op_a"])["dossiers"]["totalCount"]
        == 0
    )


def test_a_negative_min_days_is_refused_with_the_field(gql: GQL, db: Database) -> None:
    w = _world(db)
    body = gql(LIST, {"status": "ORIENTED", "min": -1}, token=w["op_a"])
    assert body["data"] is None
    assert "minDaysInStatus" in body["errors"][0]["message"]


def test_delays_are_settings(settings: Settings, db: Database) -> None:
    from app.asgi import create_app

    w = _world(db)
    changed = settings.model_copy(update={"remind_after_days": 2, "expire_after_days": 0})
    app = create_app(changed)
    try:
        with TestClient(app) as client:
            gql = GQL(client)
            assert gql.data(COUNTS, token=w["op_a"])["dossierCounts"]["overdue"] == 3
            tab = gql.data(LIST, {"status": "ORIENTED"}, token=w["op_a"])["dossiers"]
            assert {e["node"]["expiresAt"] for e in tab["edges"]} == {None}
    finally:
        app.state.services.db.dispose()


OVERDUE = """
query($status: DossierStatus!) { dossiers(status: $status) { edges { node { carnetNumber overdue } } } }
"""


def test_each_dossier_says_whether_it_is_overdue_as_the_count_does(gql: GQL, db: Database) -> None:
    w = _world(db)
    oriented = gql.data(OVERDUE, {"status": "ORIENTED"}, token=w["op_a"])["dossiers"]["edges"]
    # Past the 10 days of the reminder delay, not at 9 days 23 hours; the count says the same.
    assert {e["node"]["carnetNumber"]: e["node"]["overdue"] for e in oriented} == {
        "111aaa": True,
        "222bbb": False,
        "333ccc": False,
    }
    assert gql.data(COUNTS, token=w["op_a"])["dossierCounts"]["overdue"] == 1
    # Only ORIENTED dossiers are overdue, however long the others have waited.
    taken = gql.data(OVERDUE, {"status": "TAKEN_IN_CHARGE"}, token=w["op_a"])["dossiers"]["edges"]
    assert [e["node"] for e in taken] == [{"carnetNumber": "444ddd", "overdue": False}]


def test_overdue_follows_the_reminder_delay_setting(settings: Settings, db: Database) -> None:
    from app.asgi import create_app

    w = _world(db)
    app = create_app(settings.model_copy(update={"remind_after_days": 2}))
    try:
        with TestClient(app) as client:
            oriented = GQL(client).data(OVERDUE, {"status": "ORIENTED"}, token=w["op_a"])["dossiers"]["edges"]
            assert all(e["node"]["overdue"] for e in oriented) and len(oriented) == 3
    finally:
        app.state.services.db.dispose()
