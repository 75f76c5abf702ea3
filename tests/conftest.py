"""One fixture, parametrised over SpatiaLite and PostGIS: every test that takes ``db`` runs on both.

Each backend is migrated once per test session (PostGIS in a database of its own, named after the process,
so that parallel runs do not meet); each test then starts from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import migrate
from app.database import Database
from app.settings import Settings, load_settings
from models import Base

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_DATA = Path(os.environ.get("AIGUILLAGE_TEST_SHARED_DATA", SHARED / "data"))
PG_URL = os.environ.get("AIGUILLAGE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("AIGUILLAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> redis.Redis:
    """A client of the test Redis; outside CI, the test is skipped when nothing answers there."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis: nothing answers at {REDIS_URL} (set AIGUILLAGE_TEST_REDIS_URL; CI starts Redis)")
    return client


IN_CI = os.environ.get("CI") == "true"

BACKENDS = ["spatialite", "postgis"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL or not any("postgis" in item.name for item in items):
        return
    if IN_CI:
        raise pytest.UsageError(
            "CI=true but AIGUILLAGE_TEST_POSTGRES_URL is not set: PostGIS tests would be skipped"
        )
    skip = pytest.mark.skip(
        reason="PostGIS: set AIGUILLAGE_TEST_POSTGRES_URL (make test does when PostGIS is installed)"
    )
    for item in items:
        if "[postgis" in item.name or item.name.endswith("postgis]"):
            item.add_marker(skip)


def _clean_env() -> None:
    for name in list(os.environ):
        if name.startswith("AIGUILLAGE_") and not name.startswith(("AIGUILLAGE_TEST_", "AIGUILLAGE_BENCH_")):
            del os.environ[name]


_clean_env()


@pytest.fixture(scope="session")
def _spatialite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('spatialite') / 'test.db'}"
    db = Database.from_settings(load_settings(database_url=url))
    migrate.upgrade(db.engine)
    db.dispose()
    return url


@pytest.fixture(scope="session")
def _postgis_url() -> Iterator[str]:
    assert PG_URL is not None
    base = make_url(PG_URL)
    name = f"{base.database}_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    db = Database.from_settings(load_settings(database_url=url))
    migrate.upgrade(db.engine)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_databases: dict[str, Database] = {}


def _empty(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.backend == "postgis":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue(f"_{backend}_url")
    return load_settings(database_url=url)


@pytest.fixture
def db(settings: Settings, backend: str) -> Database:
    database = _databases.get(backend)
    if database is None:
        database = _databases[backend] = Database.from_settings(settings)
    _empty(database)
    return database


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for database in _databases.values():
        database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Any:
    from app.asgi import create_app

    application = create_app(settings)
    yield application
    application.state.services.db.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


class GQL:
    """Posts GraphQL documents to the app, optionally with a bearer token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = self(query, variables, token)
        assert not body.get("errors"), body["errors"]
        return dict(body["data"])


@pytest.fixture
def gql(client: Any) -> GQL:
    return GQL(client)
