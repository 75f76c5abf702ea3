"""Failed retrievals are limited per operator, in memory or shared through Redis by several processes."""

from __future__ import annotations

import os
from typing import Any

import pytest
import time_machine
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.limits import MemoryLimiter, RedisLimiter
from app.settings import Settings, load_settings
from tests import factories
from tests import operations as op
from tests.conftest import GQL, REDIS_URL, redis_or_skip


def test_memory_window_opens_again() -> None:
    # The `limits` package reads the wall clock: travel in time instead of injecting a clock.
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        limiter = MemoryLimiter(2, 60)
        assert limiter.acquire("k") is None and limiter.acquire("k") is None
        assert limiter.acquire("k") == 60
        clock.shift(45)
        assert limiter.acquire("k") == 15
        clock.shift(16)
        assert limiter.acquire("k") is None


def test_success_gives_the_attempt_back() -> None:
    limiter = MemoryLimiter(1, 60)
    assert limiter.acquire("k") is None
    limiter.release("k")
    assert limiter.acquire("k") is None
    assert limiter.acquire("k") is not None


@pytest.fixture
def people(db: Database) -> dict[str, str]:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        other = factories.structure(session, "Ailleurs", operator=True, lat=45.7)
        factories.dossier(session, home.id, carnet="246abc", last_name="Bernard")
        return {
            "op": factories.operator(session, other, "Essaie"),
            "op2": factories.operator(session, other, "Autre"),
        }


def claim(gql: GQL, token: str, name: str, carnet: str = "246abc") -> dict[str, Any]:
    return dict(gql.data(op.CLAIM, {"name": name, "carnet": carnet}, token=token)["claimDossier"])


def _limited_settings(settings: Settings, **extra: Any) -> Settings:
    return load_settings(database_url=settings.database_url, claim_max_failures=3, **extra)


def test_failed_claims_are_limited_per_operator(settings: Settings, people: dict[str, str]) -> None:
    with TestClient(create_app(_limited_settings(settings))) as client:
        gql = GQL(client)
        for guess in ("Martin", "Petit", "Durand"):
            assert claim(gql, people["op"], guess)["code"] == "NOT_FOUND"
        limited = claim(gql, people["op"], "Bernard")  # even the right answer, once limited
        assert limited["code"] == "RATE_LIMITED"
        assert 0 < limited["retryAfterSeconds"] <= 900
        assert claim(gql, people["op2"], "Bernard")["__typename"] == "DossierPayload"


def test_limit_is_shared_through_redis(settings: Settings, people: dict[str, str]) -> None:
    client_redis = redis_or_skip()
    for key in client_redis.scan_iter("aiguillage:limit:*"):
        client_redis.delete(key)
    shared = _limited_settings(settings, redis_url=REDIS_URL)
    # Two app instances stand for two processes behind a load balancer.
    with TestClient(create_app(shared)) as one, TestClient(create_app(shared)) as two:
        assert isinstance(one.app.state.services.limiter, RedisLimiter)  # type: ignore[attr-defined]
        assert claim(GQL(one), people["op"], "Martin")["code"] == "NOT_FOUND"
        assert claim(GQL(two), people["op"], "Petit")["code"] == "NOT_FOUND"
        assert claim(GQL(one), people["op"], "Durand")["code"] == "NOT_FOUND"
        limited = claim(GQL(two), people["op"], "Bernard")
        assert limited["code"] == "RATE_LIMITED" and limited["retryAfterSeconds"] > 0
        assert claim(GQL(one), people["op"], "Bernard")["code"] == "RATE_LIMITED"
    for key in client_redis.scan_iter("aiguillage:limit:*"):
        client_redis.delete(key)


def test_success_gives_the_attempt_back_in_redis() -> None:
    client_redis = redis_or_skip()
    limiter = RedisLimiter(REDIS_URL, 1, 60)
    key = f"test-release:{os.getpid()}"
    try:
        assert limiter.acquire(key) is None
        limiter.release(key)
        assert limiter.acquire(key) is None
        assert 0 < (limiter.acquire(key) or 0) <= 60
    finally:
        for stored in client_redis.scan_iter(f"aiguillage:limit:*{key}*"):
            client_redis.delete(stored)
