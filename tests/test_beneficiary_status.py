"""beneficiaryStatus: a beneficiary learns where their dossier is, and nothing else, under retrieval's rules."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.settings import Settings, load_settings
from models import DossierStatus
from tests import factories
from tests.conftest import GQL

STATUS = """
query Status($name: String!, $carnet: String!) {
  beneficiaryStatus(lastName: $name, carnetNumber: $carnet) {
    __typename
    ... on BeneficiaryStatus { status structure { name phone openingHours address { street city } dossierCounts { oriented } } }
    ... on Error { code message }
    ... on InvalidInputError { field }
    ... on RateLimitedError { retryAfterSeconds }
  }
}
"""
NAME, CARNET = "N'Diaye-Lefèvre", "135xyz"


@pytest.fixture
def place(db: Database) -> int:
    with db.write() as session:
        home = factories.structure(session, "Maison des Services", operator=True)
        home.phone, home.opening_hours = "05 45 00 00 00", "Mo-Fr 09:00-17:00"
        factories.dossier(
            session, home.id, carnet=CARNET, last_name=NAME, status=DossierStatus.TAKEN_IN_CHARGE
        )
        return home.id


def status(gql: GQL, name: str, carnet: str) -> dict[str, Any]:
    return dict(gql.data(STATUS, {"name": name, "carnet": carnet})["beneficiaryStatus"])


def test_status_and_public_card_with_retrievals_normalisation(gql: GQL, place: int) -> None:
    found = status(gql, "  ndiaye lefevre ", " 135XYZ ")
    assert found == {
        "__typename": "BeneficiaryStatus",
        "status": "TAKEN_IN_CHARGE",
        "structure": {
            "name": "Maison des Services",
            "phone": "05 45 00 00 00",
            "openingHours": "Mo-Fr 09:00-17:00",
            "address": {"street": found["structure"]["address"]["street"], "city": "Angoulême"},
            "dossierCounts": None,  # anonymous: no counts
        },
    }


def test_wrong_name_and_unknown_carnet_answer_alike(gql: GQL, place: int) -> None:
    wrong_name = status(gql, "Martin", CARNET)
    unknown = status(gql, NAME, "999zzz")
    assert wrong_name == unknown
    assert wrong_name["__typename"] == "NotFoundError" and wrong_name["code"] == "NOT_FOUND"


def test_bad_carnet_is_an_input_error_naming_the_field(gql: GQL, place: int) -> None:
    bad = status(gql, NAME, "12-ab")
    assert bad["__typename"] == "InvalidInputError"
    assert bad["field"] == "carnetNumber" and "000ysz" in bad["message"]
    assert status(gql, "  ", CARNET)["field"] == "lastName"


def test_once_per_request(gql: GQL, place: int) -> None:
    body = gql(
        '{ a: beneficiaryStatus(lastName: "X", carnetNumber: "111aaa") { __typename }'
        '  b: beneficiaryStatus(lastName: "Y", carnetNumber: "111aaa") { __typename } }'
    )
    assert body.get("data") is None and "une seule fois" in body["errors"][0]["message"]


def test_get_is_refused(client: Any, place: int) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": f'{{ beneficiaryStatus(lastName: "Martin", carnetNumber: "{CARNET}") {{ __typename '
            "... on Error { code } } }"
        },
    )
    assert response.json()["data"]["beneficiaryStatus"] == {
        "__typename": "InvalidInputError",
        "code": "INVALID_INPUT",
    }


def _limited(settings: Settings) -> Settings:
    return load_settings(database_url=settings.database_url, claim_max_failures=3)


def test_failures_are_limited_per_client_address(settings: Settings, place: int) -> None:
    app = create_app(_limited(settings))
    with (
        TestClient(app, client=("203.0.113.7", 5000)) as one,
        TestClient(app, client=("198.51.100.9", 5000)) as other,
    ):
        for guess in ("Martin", "Petit", "Durand"):
            assert status(GQL(one), guess, CARNET)["code"] == "NOT_FOUND"
        limited = status(GQL(one), NAME, CARNET)  # even the right answer, once limited
        assert limited["code"] == "RATE_LIMITED" and 0 < limited["retryAfterSeconds"] <= 900
        assert status(GQL(other), NAME, CARNET)["status"] == "TAKEN_IN_CHARGE"
    app.state.services.db.dispose()


def test_success_does_not_count(settings: Settings, place: int) -> None:
    app = create_app(_limited(settings))
    with TestClient(app) as client:
        for _ in range(5):
            assert status(GQL(client), NAME, CARNET)["__typename"] == "BeneficiaryStatus"
    app.state.services.db.dispose()


def test_nothing_of_it_in_logs(gql: GQL, place: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        status(gql, NAME, CARNET)
        status(gql, "Wrong" + NAME, CARNET)
        status(gql, NAME, "bad carnet")
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert any("dossiers" in r.getMessage() for r in caplog.records), "SQL logging was not captured"
    for record in caplog.records:
        line = record.getMessage() + str(record.args or "")
        for secret in (NAME, CARNET, "ndiayelefevre", "Lefèvre"):
            assert secret not in line, f"{record.name}: {line[:200]}"


def test_no_place_while_returned(gql: GQL, db: Database) -> None:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        factories.dossier(session, home.id, carnet=CARNET, last_name=NAME, status=DossierStatus.RETURNED)
    assert status(gql, NAME, CARNET) == {
        "__typename": "BeneficiaryStatus",
        "status": "RETURNED",
        "structure": None,
    }
