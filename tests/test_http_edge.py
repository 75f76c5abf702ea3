"""The HTTP edge: security and caching headers, CORS, conditional GETs, malformed bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.settings import Settings, SettingsError, load_settings
from tests import factories

MAP_ORIGIN = "https://carte.example.org"
PUBLIC_QUERY = "{ structures(first: 5) { edges { node { name } } } }"


@pytest.fixture
def cors_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    app = create_app(
        load_settings(database_url=settings.database_url, cors_origins=f"{MAP_ORIGIN}, http://localhost:5173")
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def token(db: Database) -> str:
    with db.write() as session:
        home = factories.structure(session, "Maison numérique", operator=True)
        return factories.operator(session, home)


def test_every_answer_says_nosniff(client: TestClient, token: str) -> None:
    answers = [
        client.get("/healthz"),
        client.get("/graphql", params={"query": PUBLIC_QUERY}),
        client.post(
            "/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": f"Bearer {token}"}
        ),
        client.get("/geo/structures.geojson", params={"bbox": "0,45,1,46"}),
        client.get("/geo/structures.geojson"),  # a 400
        client.get("/exports/lieux.csv"),
        client.get("/nowhere"),
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff", response.url


def test_authenticated_answers_are_never_stored(client: TestClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    posted = client.post("/graphql", json={"query": "{ me { name } }"}, headers=auth)
    assert posted.status_code == 200 and posted.json()["data"]["me"]["name"] == "Camille Test"
    assert posted.headers["cache-control"] == "no-store"
    assert "etag" not in posted.headers
    # Even a public route answered to a request with a token: nobody else's to keep.
    export = client.get("/exports/lieux.csv", headers=auth)
    assert export.headers["cache-control"] == "no-store" and "etag" not in export.headers
    refused = client.get("/graphql", params={"query": "{ me { name } }"}, headers=auth)
    assert refused.status_code == 405 and refused.headers["cache-control"] == "no-store"
    # Answers that did not choose to be cached are not either.
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    assert client.post("/graphql", json={"query": PUBLIC_QUERY}).headers["cache-control"] == "no-store"


def _revalidates(client: TestClient, url: str, params: dict[str, str]) -> str:
    first = client.get(url, params=params)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(url, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    listed = client.get(url, params=params, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304
    stale = client.get(url, params=params, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200 and stale.content == first.content
    return etag


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/graphql", {"query": PUBLIC_QUERY}),
        ("/geo/structures.geojson", {"bbox": "0,45,1,46"}),
        ("/exports/lieux.csv", {}),
        ("/exports/lieux.csv", {"updated_since": "2020-01-01"}),
    ],
)
def test_public_gets_are_cacheable_and_revalidate(
    client: TestClient, db: Database, url: str, params: dict[str, str]
) -> None:
    with db.write() as session:
        factories.structure(session, "Premier lieu", lat=45.65, lon=0.16)
    before = _revalidates(client, url, params)
    with db.write() as session:
        factories.structure(session, "Nouveau lieu", lat=45.66, lon=0.17)
    changed = client.get(url, params=params, headers={"If-None-Match": before})
    assert changed.status_code == 200 and "Nouveau lieu" in changed.text
    assert changed.headers["etag"] != before


def test_public_get_errors_are_not_cached(client: TestClient) -> None:
    failed = client.get("/graphql", params={"query": '{ structures(after: "nope") { totalCount } }'})
    assert failed.json()["errors"] and "etag" not in failed.headers
    assert failed.headers["cache-control"] == "no-store"
    bad = client.get("/geo/structures.geojson", params={"bbox": "x"})
    assert bad.status_code == 400 and "etag" not in bad.headers


def test_max_age_is_a_setting(settings: Settings, db: Database) -> None:
    app = create_app(load_settings(database_url=settings.database_url, public_max_age_seconds=300))
    with TestClient(app) as client:
        answer = client.get("/graphql", params={"query": PUBLIC_QUERY})
    assert answer.headers["cache-control"] == "public, max-age=300"


def test_cors_preflight_and_simple_requests(cors_client: TestClient, token: str) -> None:
    preflight = cors_client.options(
        "/graphql",
        headers={
            "Origin": MAP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == MAP_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert "access-control-allow-credentials" not in preflight.headers

    posted = cors_client.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={"Origin": MAP_ORIGIN, "Authorization": f"Bearer {token}"},
    )
    assert posted.headers["access-control-allow-origin"] == MAP_ORIGIN
    assert posted.json()["data"]["me"]["name"] == "Camille Test"
    public = cors_client.get("/graphql", params={"query": PUBLIC_QUERY}, headers={"Origin": MAP_ORIGIN})
    assert public.headers["access-control-allow-origin"] == MAP_ORIGIN
    assert "etag" in public.headers["access-control-expose-headers"].lower()

    other = cors_client.options(
        "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    simple = cors_client.get(
        "/graphql", params={"query": PUBLIC_QUERY}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers


def test_no_cross_origin_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/graphql", headers={"Origin": MAP_ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = client.options("/graphql")
    assert plain.status_code == 204 and plain.headers["allow"] == "GET, POST, OPTIONS"


@pytest.mark.parametrize("value", ["carte.example.org", "https://carte.example.org/path", "ftp://x"])
def test_cors_origins_are_checked(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^AIGUILLAGE_CORS_ORIGINS: "):
        load_settings(cors_origins=value)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"null", "application/json", "reçu null"),
        (b"42", "application/json", "reçu un nombre"),
        (b'"x"', "application/json", "reçu une chaîne"),
        (b"true", "application/json", "reçu un booléen"),
        (b'{"query": "{ me { name } }"\xff}', "application/json", "UTF-8"),
        (b'{"query": "{ me { name } }"', "application/json", "JSON invalide"),
        (b"[" * 100_000, "application/json", "JSON invalide"),
        (
            '{"query": "{ __typename }", "x": "é"}'.encode("latin-1"),
            "application/json; charset=latin-1",
            "charset=latin-1",
        ),
    ],
)
def test_malformed_bodies_are_400_with_a_clear_message(
    client: TestClient, body: bytes, content_type: str, expected: str
) -> None:
    response = client.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    message = response.json()["errors"][0]["message"]
    assert expected in message, message


def test_utf8_charset_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}
