"""Settings refuse bad values by name; production hides what development shows; limits hold."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.asgi import create_app
from app.database import Database
from app.migrate import NotMigratedError
from app.settings import Settings, SettingsError, load_settings
from tests.conftest import GQL


def test_unknown_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGUILLAGE_DATABSE_URL", "sqlite:///x.db")
    with pytest.raises(SettingsError, match="AIGUILLAGE_DATABSE_URL: unknown setting"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AIGUILLAGE_ENVIRONMENT", "prod"),
        ("AIGUILLAGE_PAGE_SIZE_MAX", "lots"),
        ("AIGUILLAGE_CARNET_PATTERN", "[0-9"),
        ("AIGUILLAGE_DATABASE_URL", "mysql://x"),
    ],
)
def test_invalid_value_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^{name}: "):
        load_settings()


def test_cli_reports_a_bad_setting_in_one_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "current"],
        capture_output=True,
        text=True,
        env={"AIGUILLAGE_ENVIRONMENT": "staging", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "aiguillage: error: AIGUILLAGE_ENVIRONMENT: Input should be 'development' or 'production'"
    ]


def test_carnet_pattern_is_a_setting(settings: Settings, db: Database) -> None:
    from models.errors import InvalidInput
    from resolvers.dossiers import normalise_carnet

    assert normalise_carnet(" AB-1234 ", r"[a-z]{2}-[0-9]{4}", "ab-1234") == "ab-1234"
    with pytest.raises(InvalidInput, match="ab-1234"):
        normalise_carnet("123abc", r"[a-z]{2}-[0-9]{4}", "ab-1234")


def test_unmigrated_database_is_refused_with_the_command(tmp_path: Any) -> None:
    with pytest.raises(NotMigratedError, match="aiguillage db upgrade"):
        create_app(load_settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))


def _production(settings: Settings) -> TestClient:
    return TestClient(create_app(load_settings(database_url=settings.database_url, environment="production")))


def test_production_hides_introspection_graphiql_and_suggestions(settings: Settings, db: Database) -> None:
    with _production(settings) as client:
        gql = GQL(client)
        assert "errors" in gql("{ __schema { types { name } } }")
        assert (
            client.get("/graphql", headers={"Accept": "text/html"}).status_code != 200
            or "graphiql" not in client.get("/graphql", headers={"Accept": "text/html"}).text.lower()
        )
        typo = gql("{ structurs { totalCount } }")
        assert "Did you mean" not in typo["errors"][0]["message"]


def test_development_shows_graphiql(client: Any) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_depth_alias_and_token_limits(gql: GQL) -> None:
    deep = (
        "{ structures { edges { node { " + "offerings { structure { " * 6 + "name" + " } }" * 6 + " } } } }"
    )
    assert "exceeds maximum operation depth" in gql(deep)["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    assert "aliases" in gql(aliases)["errors"][0]["message"].lower()
    tokens = "{ " + " ".join("__typename" for _ in range(4000)) + " }"
    assert "token" in gql(tokens)["errors"][0]["message"].lower()


def test_bad_cursor_is_a_clear_error(gql: GQL) -> None:
    body = gql('{ structures(after: "nope") { totalCount } }')
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}
    assert "curseur" in body["errors"][0]["message"]


def test_unexpected_errors_are_masked(gql: GQL, monkeypatch: pytest.MonkeyPatch) -> None:
    from resolvers import structures

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals: /etc/passwd")

    monkeypatch.setattr(structures, "list_structures", broken)
    body = gql("{ structures { totalCount } }")
    assert body["errors"][0]["message"] == "Erreur inattendue du serveur."
    assert "secret" not in str(body)


TYPOS = [
    ("{ structures(frist: 1) { totalCount } }", None),  # argument
    ("{ structures { totalCont } }", None),  # field
    (
        '{ nearbyOfferings(near: {communeCode: "16015"}, kinds: [ADMINISTRATIV_PROCEDURES]) { pageInfo { hasNextPage } } }',
        None,
    ),
    ('{ structures(filter: {communCode: "16015"}) { totalCount } }', None),  # input field
    ("query($f: StructureFiltr) { structures(filter: $f) { totalCount } }", None),  # type name
    (
        "query($k: [ServiceKind!]) { structures(filter: {kinds: $k}) { totalCount } }",
        {"k": ["ADMINISTRATIV_PROCEDURES"]},  # enum value in variables (coerced at execution)
    ),
    (
        "query($f: StructureFilter) { structures(filter: $f) { totalCount } }",
        {"f": {"communCode": "16015"}},  # input field in variables
    ),
]


@pytest.mark.parametrize(("query", "variables"), TYPOS)
def test_production_never_suggests_names(
    settings: Settings, db: Database, query: str, variables: dict[str, Any] | None
) -> None:
    with _production(settings) as client:
        body = GQL(client)(query, variables)
    assert body["errors"], body
    for error in body["errors"]:
        assert "Did you mean" not in error["message"], error["message"]


@pytest.mark.parametrize(("query", "variables"), TYPOS)
def test_development_still_suggests_names(gql: GQL, query: str, variables: dict[str, Any] | None) -> None:
    body = gql(query, variables)
    assert any("Did you mean" in error["message"] for error in body["errors"]), body
