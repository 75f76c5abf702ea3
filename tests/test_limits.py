"""What one request may cost: a query cost budget, bounded lists, a capped body cut when it trickles, depth."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from sqlalchemy import event
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.settings import Settings, load_settings
from models import ServiceKind
from tests import factories
from tests.conftest import GQL

NEAR = "near: {point: {latitude: 45.65, longitude: 0.16}}"
# The report's request: 30 aliases of a page of 100 offerings, each nesting structure ↔ offerings twice.
ATTACK = (
    "{ "
    + " ".join(
        f"a{i}: nearbyOfferings({NEAR}, radiusKm: 100, first: 100) {{ edges {{ node {{ structure {{ "
        "offerings { structure { offerings { label } } } } } } }"
        for i in range(30)
    )
    + " }"
)
MAP_PAGE = (
    "{ nearbyOfferings("
    + NEAR
    + ", first: 100) { pageInfo { hasNextPage endCursor } edges { distanceKm node {"
    " id kind label fees acceptsCarnet location { latitude longitude }"
    " structure { name address { street city } openingHours location { latitude longitude } } } } } }"
)


@pytest.fixture
def places(db: Database) -> str:
    with db.write() as session:
        home = factories.structure(session, "Maison numérique", operator=True)
        for i in range(3):
            factories.structure(session, f"Lieu {i}", lat=45.65 + i / 100, lon=0.16)
        return factories.operator(session, home)


def assert_too_costly(body: dict[str, Any], cost: int, budget: int) -> None:
    assert body["data"] is None, body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget}
    assert f"coût estimé {cost}, budget {budget}" in error["message"]


def app_engine(gql: GQL) -> Any:
    """The engine the app under test uses (its own, not the fixture's)."""
    return gql.client.app.state.services.db.engine


def test_the_reported_request_is_refused_before_running(gql: GQL, places: str) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app_engine(gql), "before_cursor_execute", count)
    try:
        body = gql(ATTACK)
    finally:
        event.remove(app_engine(gql), "before_cursor_execute", count)
    # Per alias: 1 connection + 100 edges + 100 nodes + 100 structures + 1 000 offerings + 1 000 structures
    # + 10 000 offerings.
    assert_too_costly(body, 30 * 12_301, 5_000)
    assert statements == []
    assert gql.data("{ structures(first: 1) { totalCount } }")  # the listener does see the app's queries
    # One alias alone is still over the anonymous budget; a normal map page is well within it.
    single = ATTACK.split(" a1:")[0] + " }"
    assert_too_costly(gql(single), 12_301, 5_000)
    assert gql.data(MAP_PAGE)["nearbyOfferings"]["edges"]


def test_a_token_has_a_larger_budget(gql: GQL, places: str) -> None:
    query = (
        "{ structures(first: 100) { edges { node { offerings { structure { offerings { label } } } } } } }"
    )
    # 1 + 100 edges + 100 nodes + 1 000 offerings + 1 000 structures + 10 000 offerings
    assert_too_costly(gql(query), 12_201, 5_000)
    assert gql.data(query, token=places)["structures"]["edges"]


def test_variables_fragments_and_defaults_count(gql: GQL, places: str) -> None:
    by_variable = "query($n: Int) { structures(first: $n) { edges { node { offerings { label } } } } }"
    assert gql.data(by_variable, {"n": 100})  # 1 + 100 + 100 + 1 000
    deep = (
        "query($n: Int = 100) { structures(first: $n) { ...E } } "
        "fragment E on StructureConnection { edges { node { offerings { structure { name } } } } }"
    )
    # 1 + 100 + 100 + 1 000 + 1 000 = 2 201: within the anonymous budget, counted through the fragment.
    assert not gql(deep).get("errors")
    assert_too_costly(gql(deep.replace("name", "offerings { label }")), 2_201 + 10_000, 5_000)
    # Without `first`, a list counts at its default (structures: 50).
    assert_too_costly(
        gql(
            "{ structures { edges { node { offerings { structure { offerings { structure { name } } } } } } } }"
        ),
        1 + 50 + 50 + 500 + 500 + 5_000 + 5_000,
        5_000,
    )


def test_budgets_are_settings(settings: Settings, db: Database, places: str) -> None:
    app = create_app(
        load_settings(database_url=settings.database_url, max_query_cost_anonymous=40, max_query_cost=41)
    )
    with TestClient(app) as client:
        gql = GQL(client)
        query = "{ structures(first: 20) { edges { node { name } } } }"  # 1 + 20 + 20
        assert_too_costly(gql(query), 41, 40)
        assert gql.data(query, token=places)


def test_list_arguments_are_bounded_and_deduplicated(gql: GQL, places: str) -> None:
    query = "query($k: [ServiceKind!]) { structures(filter: {kinds: $k}) { totalCount } }"
    too_long = gql(query, {"k": ["ADMINISTRATIVE_PROCEDURES"] * 101})
    assert too_long["data"] is None
    assert too_long["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "k"}
    assert "au plus 100 valeurs par liste, reçu 101" in too_long["errors"][0]["message"]

    kind_values = {k.value for k in ServiceKind}
    parameters: list[int] = []

    def count(_conn: Any, _cursor: Any, _statement: str, params: Any, *_args: Any) -> None:
        values = params.values() if isinstance(params, dict) else params
        parameters.append(sum(1 for v in values or () if isinstance(v, str) and v in kind_values))

    event.listen(app_engine(gql), "before_cursor_execute", count)
    try:
        kinds = ["ADMINISTRATIVE_PROCEDURES", "SAFE_DIGITAL_USE"] * 50
        assert gql.data(query, {"k": kinds})["structures"]["totalCount"] == 4
        nearby = (
            "query($k: [ServiceKind!]) { nearbyOfferings(" + NEAR + ", kinds: $k) { edges { distanceKm } } }"
        )
        assert len(gql.data(nearby, {"k": kinds})["nearbyOfferings"]["edges"]) == 4
    finally:
        event.remove(app_engine(gql), "before_cursor_execute", count)
    # Each statement gets each distinct kind once: two parameters, not a hundred.
    assert parameters and max(parameters) == 2, parameters


def test_depth_limit_is_eight(gql: GQL, places: str) -> None:
    cycle = "structure { offerings { structure { offerings { structure { %s } } } } }"
    eight = "{ nearbyOfferings(" + NEAR + ", first: 1) { edges { node { " + cycle % "name" + " } } } }"
    assert not gql(eight).get("errors")
    nine = eight.replace("{ name }", "{ offerings { label } }")
    assert "exceeds maximum operation depth of 8" in gql(nine)["errors"][0]["message"]


def test_bodies_over_the_cap_are_413(settings: Settings, db: Database) -> None:
    app = create_app(load_settings(database_url=settings.database_url, max_body_bytes=2_000))
    with TestClient(app) as client:
        padding = " " * 2_000
        big = client.post(
            "/graphql",
            content=('{"query": "{ __typename }"' + padding + "}").encode(),
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413, big.text
        assert "au plus 2000 octets" in big.json()["errors"][0]["message"]
        fine = client.post("/graphql", json={"query": "{ __typename }"})
        assert fine.status_code == 200

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
            yield b'{"query": "{ __typename }"'
            for _ in range(10):
                yield b" " * 300
            yield b"}"

        streamed = client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413


def test_default_body_cap_is_one_megabyte(client: TestClient) -> None:
    body = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 1_000_000 + b'"}}'
    response = client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[tuple[str, int]]:
    """A real uvicorn server in a thread, with a short body timeout."""
    app = create_app(load_settings(database_url=settings.database_url, body_timeout_seconds=1))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield sock.getsockname()
    server.should_exit = True
    thread.join(timeout=10)


def test_a_trickling_body_is_cut(live_server: tuple[str, int]) -> None:
    host, port = live_server
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n" + b'{"query": '
        )
        start = time.monotonic()
        received = b""
        while True:
            data = conn.recv(65536)
            if not data:
                break
            received += data
        elapsed = time.monotonic() - start
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"AIGUILLAGE_BODY_TIMEOUT_SECONDS" in received
    # Cut after the timeout (1 s here), and the connection closed by the server.
    assert 0.8 < elapsed < 5, elapsed


def test_a_complete_body_is_served_by_the_live_server(live_server: tuple[str, int]) -> None:
    host, port = live_server
    body = b'{"query": "{ __typename }"}'
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200") and b'{"data":{"__typename":"Query"}}' in received


def test_a_first_of_one_point_zero_does_not_set_the_cost_of_one(gql: GQL, places: str) -> None:
    """The cost is cached per query text and value of ``first``: 1.0 and true (equal to 1 in Python) stand for
    the page cap and must not share the entry of 1, whichever arrives first."""
    query = (
        "query Q($n: Int) { "
        + " ".join(
            f"a{i}: nearbyOfferings({NEAR}, first: $n) {{ edges {{ node {{ structure {{ name offerings {{ kind }} }} }} }} }}"
            for i in range(4)
        )
        + " }"
    )
    first_float = gql(query, {"n": 1.0})
    assert first_float["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "errors" not in gql(query, {"n": 1}), "1 after 1.0 must cost a page of one"
