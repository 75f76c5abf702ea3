"""Listing 50 dossiers with their structure and history costs as many SQL statements as listing 5."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from app.database import Database
from models import DossierEvent, utcnow
from tests import factories
from tests import operations as op
from tests.conftest import GQL


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.state.services.db.engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_dossier_listing_statements_do_not_grow(app: Any, gql: GQL, db: Database) -> None:
    with db.write() as session:
        home = factories.structure(session, "Maison", operator=True)
        elsewhere = [factories.structure(session, f"Lieu {i}", operator=True) for i in range(5)]
        token = factories.operator(session, home)
        for i in range(60):
            d = factories.dossier(session, home.id)
            session.add(
                DossierEvent(
                    dossier_id=d.id,
                    kind="REORIENTED",
                    at=utcnow(),
                    from_structure_id=elsewhere[i % 5].id,
                    to_structure_id=home.id,
                )
            )

    def statements_for(first: int) -> int:
        with counting(app) as statements:
            data = gql.data(op.LIST, {"status": "ORIENTED", "first": first}, token=token)
        assert len(data["dossiers"]["edges"]) == first
        assert all(e["node"]["history"] for e in data["dossiers"]["edges"])
        return len(statements)

    assert statements_for(50) == statements_for(5)


def test_structure_listing_statements_do_not_grow(app: Any, gql: GQL, db: Database) -> None:
    with db.write() as session:
        for _ in range(40):
            factories.structure(session)
    query = "query($n: Int) { structures(first: $n) { edges { node { name offerings { kind structure { name } } } } } }"

    def statements_for(first: int) -> int:
        with counting(app) as statements:
            gql.data(query, {"n": first})
        return len(statements)

    assert statements_for(40) == statements_for(4)


def test_total_count_is_computed_only_when_asked(app: Any, gql: GQL, db: Database) -> None:
    with db.write() as session:
        factories.structure(session)
    with counting(app) as without:
        gql.data("{ structures { edges { node { name } } } }")
    with counting(app) as with_total:
        data = gql.data(
            "{ structures { ...Total edges { node { name } } } }"
            " fragment Total on StructureConnection { totalCount }"
        )
    assert data["structures"]["totalCount"] == 1
    assert len(with_total) == len(without) + 1
