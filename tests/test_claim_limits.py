"""The rate limits of app/limits.py: per structure too, known carnets through orient, a Redis that is down."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.settings import Settings, load_settings
from resolvers.ids import to_global_id
from tests import factories
from tests import operations as op
from tests.conftest import GQL, REDIS_URL, redis_or_skip


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def people(db: Database) -> dict[str, Any]:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        other = factories.structure(session, "Ailleurs", operator=True, lat=45.7)
        third = factories.structure(session, "Troisième", operator=True, lat=45.8)
        factories.dossier(session, home.id, carnet="246abc", last_name="Bernard")
        return {
            "home": to_global_id("Structure", home.id),
            "op": factories.operator(session, other, "Essaie"),
            "op2": factories.operator(session, other, "Autre"),
            "op3": factories.operator(session, other, "Encore"),
            "elsewhere": factories.operator(session, third, "Voisine"),
        }


def claim(gql: GQL, token: str, name: str, carnet: str = "246abc") -> dict[str, Any]:
    return dict(gql.data(op.CLAIM, {"name": name, "carnet": carnet}, token=token)["claimDossier"])


def orient(gql: GQL, token: str, carnet: str, to: str) -> dict[str, Any]:
    variables = {"input": {"carnetNumber": carnet, "lastName": "Essai", "toStructureId": to}}
    return dict(gql.data(op.ORIENT, variables, token=token)["orientBeneficiary"])


def limited(settings: Settings, **extra: Any) -> Settings:
    return load_settings(database_url=settings.database_url, claim_max_failures=3, **extra)


def test_failed_claims_are_limited_per_structure(settings: Settings, people: dict[str, Any]) -> None:
    with TestClient(create_app(limited(settings, claim_structure_max_failures=5))) as client:
        gql = GQL(client)
        for guess in ("Martin", "Petit", "Durand"):
            assert claim(gql, people["op"], guess)["code"] == "NOT_FOUND"
        assert claim(gql, people["op2"], "Moreau")["code"] == "NOT_FOUND"
        assert claim(gql, people["op2"], "Laurent")["code"] == "NOT_FOUND"
        # Each operator is under its own limit of 3, but the structure has used its 5.
        assert claim(gql, people["op2"], "Simon")["code"] == "RATE_LIMITED"
        assert claim(gql, people["op3"], "Bernard")["code"] == "RATE_LIMITED"
        assert claim(gql, people["elsewhere"], "Bernard")["__typename"] == "DossierPayload"


def test_orient_probing_known_carnets_is_limited(settings: Settings, people: dict[str, Any]) -> None:
    with TestClient(create_app(limited(settings))) as client:
        gql = GQL(client)
        # A new carnet oriented is not a failed try, however many.
        for carnet in ("101aaa", "102aaa", "103aaa", "104aaa"):
            assert orient(gql, people["op"], carnet, people["home"])["__typename"] == "DossierPayload"
        for _ in range(3):
            assert orient(gql, people["op"], "246ABC", people["home"])["code"] == "CONFLICT"
        probe = orient(gql, people["op"], "246abc", people["home"])
        assert probe["code"] == "RATE_LIMITED" and probe["retryAfterSeconds"] > 0
        # The same limit as retrievals: the operator cannot switch to claimDossier.
        assert claim(gql, people["op"], "Bernard")["code"] == "RATE_LIMITED"
        assert orient(gql, people["op2"], "246abc", people["home"])["code"] == "CONFLICT"


def test_redis_down_is_a_clear_unavailable_answer(settings: Settings, people: dict[str, Any]) -> None:
    down = limited(settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    with TestClient(create_app(down)) as client:
        gql = GQL(client)
        status = "query S($n: String!, $c: String!) { beneficiaryStatus(lastName: $n, carnetNumber: $c) {"
        status += " __typename ... on Error { code message } } }"
        for answer in (
            claim(gql, people["op"], "Bernard"),
            orient(gql, people["op"], "105aaa", people["home"]),
            gql.data(status, {"n": "Bernard", "c": "246abc"})["beneficiaryStatus"],
        ):
            assert answer["__typename"] == "UnavailableError", answer
            assert answer["code"] == "UNAVAILABLE"
            assert "momentanément indisponible" in answer["message"]
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and health.json()["redis"] == "down"
    # Nothing was done: the dossier stays where it was, no dossier was created.
    with TestClient(create_app(limited(settings))) as client:
        counts = GQL(client).data(op.COUNTS, token=people["op"])["dossierCounts"]
        assert counts == {"oriented": 0, "takenInCharge": 0, "archived": 0}


def test_healthz_shows_redis(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json()["redis"] == "not configured"
    redis_or_skip()
    with TestClient(create_app(limited(settings, redis_url=REDIS_URL))) as client:
        body = client.get("/healthz").json()
        assert body["status"] == "ok" and body["redis"] == "up"


def serve(settings: Settings, port: int, **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")}
    clean.update(AIGUILLAGE_DATABASE_URL=settings.database_url, **env)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_healthy(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("aiguillage serve did not answer in 30 s")


def test_a_second_server_without_redis_is_refused(settings: Settings, db: Database) -> None:
    port = closed_port()
    first = serve(settings, port)
    try:
        wait_healthy(first, port)
        second = serve(settings, closed_port())
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1, err
        assert "another `aiguillage serve` already serves this database" in err
        assert "AIGUILLAGE_REDIS_URL" in err
    finally:
        first.terminate()
        _, said = first.communicate(timeout=30)
    assert "counted in this process's memory" in said


def test_servers_sharing_redis_run_side_by_side(settings: Settings, db: Database) -> None:
    redis_or_skip()
    ports = [closed_port(), closed_port()]
    servers = [serve(settings, port, AIGUILLAGE_REDIS_URL=REDIS_URL) for port in ports]
    try:
        for server, port in zip(servers, ports, strict=True):
            wait_healthy(server, port)
        # While Redis-sharing processes serve, one counting in memory would count apart: refused.
        alone = serve(settings, closed_port())
        _, err = alone.communicate(timeout=60)
        assert alone.returncode == 1 and "another `aiguillage serve`" in err
    finally:
        for server in servers:
            server.terminate()
            server.communicate(timeout=30)
