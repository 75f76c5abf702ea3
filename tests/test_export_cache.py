"""The exports' validators: lieux.csv and the data·inclusion files answer a repeated request with a 304 from
the map's data version and the normalised query, and any write that can change a file changes its ETag."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from app.database import Database
from batch.imports import import_communes
from models import Fees
from tests import factories
from tests.test_import_communes import DECOUPAGE, LAPOSTE

EXPORTS = (
    "/exports/lieux.csv",
    "/exports/data-inclusion/structures.json",
    "/exports/data-inclusion/services.json",
)


def _etag(client: TestClient, url: str, **params: str) -> str:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "public, max-age=60"
    return response.headers["etag"]


@pytest.mark.parametrize("url", EXPORTS)
def test_a_repeated_export_is_answered_from_its_validator(client: TestClient, db: Database, url: str) -> None:
    with db.write() as session:
        place = factories.structure(session, "Premier lieu")
    etag = _etag(client, url)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # The normalised query: the same instant however written, another instant another file.
    since = _etag(client, url, updated_since="2024-05-02T12:00:00Z")
    assert _etag(client, url, updated_since="2024-05-02T14:00:00+02:00") == since
    assert since != etag != _etag(client, url, updated_since="2024-05-03")
    assert (
        client.get(url, params={"updated_since": "2024-05-02"}, headers={"If-None-Match": etag}).status_code
        == 200
    )

    with db.write() as session:  # an offering's fee: only the offering is written
        session.merge(place).offerings[0].fees = Fees.PAID.value
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_importing_communes_changes_the_csv_validator(client: TestClient, db: Database) -> None:
    """A place without city or postal code takes them from the communes: a communes import can change the file."""
    with db.write() as session:
        place = factories.structure(session, "Sans ville")
        place.city, place.postal_code = "", ""
    etag = _etag(client, "/exports/lieux.csv")
    assert client.get("/exports/lieux.csv").text.count("\r\n") == 1  # nothing to fill the gaps with yet
    import_communes(db, LAPOSTE, DECOUPAGE)
    answer = client.get("/exports/lieux.csv", headers={"If-None-Match": etag})
    assert answer.status_code == 200 and answer.headers["etag"] != etag
    assert "Angoulême" in answer.text
