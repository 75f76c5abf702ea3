"""What the database keeps from the offerings (migration 0007_viewport): each place's kinds and carnet flag,
and the number of places per set of kinds, exact after every kind of write, on both backends.

The referee is always the offerings themselves: the columns must equal their aggregation, ``kind_sets`` their
grouping, and a ``totalCount`` filtered by kinds the ``count(*)`` of the places that offer one of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

import pytest
from sqlalchemy import delete, func, insert, select, update
from starlette.testclient import TestClient

from app.database import Database
from models import ServiceKind, ServiceOffering, Structure, kind_sets, map_state, utcnow
from resolvers.ids import to_global_id
from resolvers.structures import (
    StructureQuery,
    _conditions,
    count_by_kinds,
    count_structures,
    list_structures,
)
from tests import factories
from tests.conftest import GQL

ADMIN, SAFE, TOOLS = (
    ServiceKind.ADMINISTRATIVE_PROCEDURES,
    ServiceKind.SAFE_DIGITAL_USE,
    ServiceKind.EVERYDAY_DIGITAL_TOOLS,
)
# Every single kind, a few pairs, and all of them.
ASKED = [(k,) for k in ServiceKind] + list(combinations((ADMIN, SAFE, TOOLS), 2)) + [tuple(ServiceKind)]
BOX = "0.0,45.0,1.0,46.0"


@pytest.fixture
def places(db: Database) -> dict[str, int]:
    with db.write() as session:
        rows = {
            "a": factories.structure(session, "A", operator=True),
            "b": factories.structure(session, "B", kinds=(SAFE,), accepts_carnet=True),
            "c": factories.structure(session, "C", kinds=(TOOLS, ADMIN, SAFE)),
            "none": factories.structure(session, "Sans offre", kinds=()),
        }
        return {name: row.id for name, row in rows.items()}


def _truth(db: Database) -> tuple[dict[int, tuple[str | None, bool, bool]], dict[int, set[str]]]:
    """Per structure: (kinds as the column should hold them, carnet, closed), from the offerings."""
    with db.read() as session:
        kinds: dict[int, set[str]] = defaultdict(set)
        carnet: dict[int, bool] = defaultdict(bool)
        for sid, kind, accepts in session.execute(
            select(ServiceOffering.structure_id, ServiceOffering.kind, ServiceOffering.accepts_carnet)
        ):
            kinds[sid].add(kind)
            carnet[sid] |= bool(accepts)
        truth = {
            sid: (",".join(sorted(kinds[sid])) or None, carnet[sid], closed is not None)
            for sid, closed in session.execute(select(Structure.id, Structure.closed_at))
        }
    return truth, kinds


def check(db: Database, gql: GQL) -> None:
    truth, kinds_of = _truth(db)
    with db.read() as session:
        kept = {
            sid: (kinds, bool(carnet), closed is not None)
            for sid, kinds, carnet, closed in session.execute(
                select(Structure.id, Structure.offering_kinds, Structure.offering_carnet, Structure.closed_at)
            )
        }
        assert kept == truth
        sets = {(k, bool(c)): int(n) for k, c, n in session.execute(select(kind_sets)) if n}
        assert sets == Counter((kinds or "", closed) for kinds, _, closed in truth.values())
        assert session.scalar(select(map_state.c.structures)) == len(truth)
        for asked in ASKED:
            wanted = {k.value for k in asked}
            for include_closed in (False, True):
                exact = sum(
                    1
                    for sid, (_, _, closed) in truth.items()
                    if kinds_of[sid] & wanted and (include_closed or not closed)
                )
                assert count_by_kinds(session, asked, include_closed) == exact
                # The same figure as counting the rows with the filter's own conditions.
                query = StructureQuery(kinds=asked, include_closed=include_closed)
                assert count_structures(session, _conditions(query, db.engine.dialect.name)) == exact
                assert list_structures(session, query, 1, None, 100).total == exact
    # Over GraphQL, as a client asks it.
    for asked in ASKED[:3]:
        names = [k.name for k in asked]
        answer = gql.data(
            "query($k: [ServiceKind!]) { structures(first: 1, filter: {kinds: $k}) { totalCount } }",
            {"k": names},
        )
        wanted = {k.value for k in asked}
        open_ones = sum(1 for sid, (_, _, closed) in truth.items() if kinds_of[sid] & wanted and not closed)
        assert answer["structures"]["totalCount"] == open_ones


CHANGES = [
    "insert",
    "add_offering",
    "delete_offering",
    "change_kind",
    "carnet",
    "move_offering",
    "close",
    "reopen",
    "delete_structure",
    "bulk_offerings",
    "delete_all_offerings",
]


@pytest.mark.parametrize("change", CHANGES)
def test_kept_kinds_and_counts_follow_every_write(
    db: Database, gql: GQL, places: dict[str, int], change: str
) -> None:
    check(db, gql)
    with db.write() as session:
        if change == "insert":
            factories.structure(session, "Nouveau", kinds=(TOOLS, SAFE), accepts_carnet=True)
            factories.structure(session, "Nouveau vide", kinds=())
        elif change == "add_offering":
            session.add(ServiceOffering(structure_id=places["none"], kind=TOOLS.value, accepts_carnet=False))
        elif change == "delete_offering":
            session.execute(
                delete(ServiceOffering).where(
                    ServiceOffering.structure_id == places["c"], ServiceOffering.kind == ADMIN.value
                )
            )
        elif change == "change_kind":
            session.execute(
                update(ServiceOffering)
                .where(ServiceOffering.structure_id == places["b"])
                .values(kind=ServiceKind.PARENTING_AND_EDUCATION.value)
            )
        elif change == "carnet":
            session.execute(update(ServiceOffering).values(accepts_carnet=True))
        elif change == "move_offering":
            session.execute(
                update(ServiceOffering)
                .where(ServiceOffering.structure_id == places["b"])
                .values(structure_id=places["none"])
            )
        elif change == "close":
            session.execute(update(Structure).where(Structure.id == places["c"]).values(closed_at=utcnow()))
        elif change == "reopen":
            session.execute(update(Structure).where(Structure.id == places["c"]).values(closed_at=utcnow()))
            session.flush()
            session.execute(update(Structure).where(Structure.id == places["c"]).values(closed_at=None))
        elif change == "delete_structure":
            session.execute(delete(Structure).where(Structure.id.in_([places["a"], places["c"]])))
        elif change == "bulk_offerings":
            session.execute(
                insert(ServiceOffering),
                [
                    {"structure_id": places[p], "kind": k.value, "accepts_carnet": p == "a"}
                    for p in ("a", "none")
                    for k in (ServiceKind.PARENTING_AND_EDUCATION, ServiceKind.PROFESSIONAL_INTEGRATION)
                ],
            )
        else:
            session.execute(delete(ServiceOffering))
    check(db, gql)


def test_a_rolled_back_write_leaves_them_as_they_were(db: Database, gql: GQL, places: dict[str, int]) -> None:
    with db.read() as session:
        before = list(session.execute(select(kind_sets).order_by(kind_sets.c.kinds, kind_sets.c.closed)))
    with pytest.raises(RuntimeError), db.write() as session:
        session.execute(delete(ServiceOffering))
        factories.structure(session, "Annulé", kinds=(TOOLS,))
        session.flush()
        raise RuntimeError("rollback")
    with db.read() as session:
        after = list(session.execute(select(kind_sets).order_by(kind_sets.c.kinds, kind_sets.c.closed)))
    assert after == before
    check(db, gql)


def test_other_filters_still_count_their_rows(db: Database, places: dict[str, int]) -> None:
    with db.write() as session:
        factories.structure(session, "Ailleurs", kinds=(SAFE,), commune_code="75056", postal_code="75001")
    with db.read() as session:
        query = StructureQuery(kinds=[SAFE], department_code="75")
        conditions_count = count_structures(
            session, [Structure.department_code == "75", Structure.closed_at.is_(None)]
        )
        assert list_structures(session, query, 1, None, 100).total == 1 == conditions_count
        assert list_structures(session, StructureQuery(kinds=[SAFE]), 1, None, 100).total == 3


def test_the_viewport_shows_the_kinds_and_carnets_of_now(
    client: TestClient, db: Database, places: dict[str, int]
) -> None:
    with db.write() as session:
        session.execute(update(ServiceOffering).values(accepts_carnet=True))
        session.execute(
            delete(ServiceOffering).where(
                ServiceOffering.structure_id == places["c"], ServiceOffering.kind == SAFE.value
            )
        )
        session.add(ServiceOffering(structure_id=places["none"], kind=SAFE.value, accepts_carnet=False))
    features = {
        f["id"]: f["properties"]
        for f in client.get("/geo/structures.geojson", params={"bbox": BOX}).json()["features"]
    }
    gid = {name: to_global_id("Structure", pk) for name, pk in places.items()}
    assert features[gid["c"]]["kinds"] == [ADMIN.value, TOOLS.value]
    assert features[gid["c"]]["acceptsCarnet"] is True
    assert features[gid["none"]]["kinds"] == [SAFE.value]
    assert features[gid["none"]]["labels"] == [SAFE.label]
    assert features[gid["none"]]["acceptsCarnet"] is False
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Structure)) == len(features)


def test_an_import_in_bulk_keeps_them(db: Database, gql: GQL, places: dict[str, int]) -> None:
    """The importer writes new places and offerings in bulk (COPY on PostgreSQL, executemany on SQLite): the
    columns and the sets of kinds must follow those writes too, and a second import that changes nothing."""
    from batch.imports import import_lieux
    from tests.test_import_lieux import FRANCE_SERVICES

    report = import_lieux(db, [FRANCE_SERVICES])
    assert report.ok and report.files[0].taken > 1000
    check(db, gql)
    assert import_lieux(db, [FRANCE_SERVICES]).files[0].taken == 0
    check(db, gql)


@pytest.mark.parametrize("backend", ["postgis"])
def test_two_transactions_adding_offerings_to_one_place_both_count(
    db: Database, gql: GQL, places: dict[str, int]
) -> None:
    """PostgreSQL runs writers side by side: the second writer of a place waits for the first, then counts its
    offerings too (SQLite serialises writers, so the race cannot happen there)."""
    import threading

    from sqlalchemy.orm import Session

    from geo.points import set_point

    def offering(kind: ServiceKind) -> ServiceOffering:
        row = ServiceOffering(structure_id=places["none"], kind=kind.value, fees="FREE", accepts_carnet=False)
        set_point(row, 45.65, 0.16)
        return row

    done = threading.Event()

    def second() -> None:
        with Session(db.engine) as session, session.begin():
            session.add(offering(SAFE))
        done.set()

    with Session(db.engine) as first:
        first.add(offering(ADMIN))
        first.flush()  # the trigger has run: the first writer holds the place
        thread = threading.Thread(target=second)
        thread.start()
        assert not done.wait(1.0)  # the second writer waits for the first's lock on the place
        first.commit()
    thread.join(30)
    assert done.is_set()
    check(db, gql)
    with db.read() as session:
        assert session.scalar(
            select(Structure.offering_kinds).where(Structure.id == places["none"])
        ) == ",".join(sorted((ADMIN.value, SAFE.value)))
