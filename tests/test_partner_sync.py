"""Partner sync: structures(filter: {updatedSince}) in (updatedAt, id) keyset pages, rows changing between pages."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.database import Database
from models import Structure
from tests import factories
from tests.conftest import GQL

SYNC = """
query($since: DateTime!, $first: Int, $after: String) {
  structures(filter: {updatedSince: $since}, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
T0 = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)


def page(gql: GQL, since: datetime, first: int, after: str | None) -> dict[str, Any]:
    return dict(gql.data(SYNC, {"since": since.isoformat(), "first": first, "after": after})["structures"])


def touch(db: Database, name: str, at: datetime) -> None:
    with db.write() as session:
        session.execute(update(Structure).where(Structure.name == name).values(updated_at=at))


def test_rows_changed_between_pages_are_neither_missed_nor_repeated(gql: GQL, db: Database) -> None:
    with db.write() as session:
        for i in range(1, 11):
            factories.structure(session, f"S{i}").updated_at = T0 + timedelta(minutes=i)
    since = T0
    seen: list[tuple[str, str]] = []  # (name, updatedAt): one version of a row

    first_page = page(gql, since, 4, None)
    assert first_page["totalCount"] == 10
    seen += [(e["node"]["name"], e["node"]["updatedAt"]) for e in first_page["edges"]]
    assert [name for name, _ in seen] == ["S1", "S2", "S3", "S4"]

    # Between two pages: S2 (already read) and S7 (not reached yet) change; S5 changes but keeps its place.
    later = T0 + timedelta(hours=1)
    touch(db, "S7", later)
    touch(db, "S2", later + timedelta(minutes=1))
    touch(db, "S5", T0 + timedelta(minutes=5, seconds=30))

    after = first_page["pageInfo"]["endCursor"]
    while after is not None:
        current = page(gql, since, 4, after)
        seen += [(e["node"]["name"], e["node"]["updatedAt"]) for e in current["edges"]]
        after = current["pageInfo"]["endCursor"] if current["pageInfo"]["hasNextPage"] else None

    names = [name for name, _ in seen]
    # Nothing repeated within one version, and every row's latest version is there.
    assert len(seen) == len(set(seen))
    assert set(names) == {f"S{i}" for i in range(1, 11)}
    # S7 was updated before being reached: it appears once, later, with its new version.
    assert names.count("S7") == 1 and names[-2:] == ["S7", "S2"]
    # S2 was read before its change: its new version comes again at the end, a new version, not a repeat.
    assert names.count("S2") == 2
    assert names == ["S1", "S2", "S3", "S4", "S5", "S6", "S8", "S9", "S10", "S7", "S2"]
    updated = [datetime.fromisoformat(at) for _, at in seen]
    assert updated == sorted(updated)

    # The next pull starts from the last updatedAt seen and gets only what changed since.
    since = updated[-1]
    assert page(gql, since, 50, None)["edges"] == []
    touch(db, "S3", later + timedelta(minutes=5))
    assert [e["node"]["name"] for e in page(gql, since, 50, None)["edges"]] == ["S3"]


def test_equal_update_times_page_by_id(gql: GQL, db: Database) -> None:
    # An import writes many rows with one timestamp: the id breaks the tie, across page boundaries.
    with db.write() as session:
        ids = [factories.structure(session, f"S{i}").id for i in range(7)]
        for row in session.scalars(select(Structure)):
            row.updated_at = T0 + timedelta(minutes=1)
    got: list[str] = []
    after = None
    while True:
        current = page(gql, T0, 3, after)
        got += [e["node"]["name"] for e in current["edges"]]
        if not current["pageInfo"]["hasNextPage"]:
            break
        after = current["pageInfo"]["endCursor"]
    assert got == [f"S{i}" for i in range(7)] and len(ids) == 7


def test_updated_since_is_strict_and_needs_a_time_zone(gql: GQL, db: Database) -> None:
    with db.write() as session:
        factories.structure(session, "Pile").updated_at = T0
        factories.structure(session, "Après").updated_at = T0 + timedelta(microseconds=1)
    assert [e["node"]["name"] for e in page(gql, T0, 10, None)["edges"]] == ["Après"]
    body = gql(SYNC, {"since": "2024-01-01T08:00:00", "first": 10})
    assert body["errors"] and "fuseau" in body["errors"][0]["message"]


def _places_file(path: Any, prefix: str, count: int) -> Any:
    rows = [
        {
            "id": f"{prefix}{n}",
            "nom": f"{prefix} {n}",
            "commune": "Angoulême",
            "code_postal": "16000",
            "adresse": f"{n} rue des Tests",
            "services": "Prendre en main un ordinateur",
            "source": "test",
            "date_maj": "2023-01-01",
        }
        for n in range(count)
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _sync(gql: GQL, since: str) -> list[dict[str, Any]]:
    """A partner's whole pull from ``since``: every page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        current = gql.data(SYNC, {"since": since, "first": 100, "after": after})["structures"]
        nodes += [e["node"] for e in current["edges"]]
        if not current["pageInfo"]["hasNextPage"]:
            return nodes
        after = current["pageInfo"]["endCursor"]


def test_a_sync_during_a_long_import_misses_nothing(
    gql: GQL, db: Database, tmp_path: Any, monkeypatch: Any
) -> None:
    """A long import is under way; a short one commits meanwhile and a partner syncs; the long one commits.

    With the import stamped at its start, its rows were older than the partner's cursor (taken from the
    short import): the next sync skipped them on PostGIS. Stamped at commit, the next sync has them all.
    """
    from batch.imports import import_lieux, lieux

    long_file = _places_file(tmp_path / "long.json", "long", lieux.PROGRESS_EVERY + 10)
    short_file = _places_file(tmp_path / "short.json", "short", 3)
    with db.write() as session:
        factories.structure(session, "Déjà là")
    since = T0.isoformat()
    first_pull = _sync(gql, since)
    cursor = max(n["updatedAt"] for n in first_pull)

    halfway, resume = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:
        if done == lieux.PROGRESS_EVERY and total == lieux.PROGRESS_EVERY + 10:
            halfway.set()  # rows written, transaction open: the "long" part of a long import
            assert resume.wait(30)

    results: dict[str, Any] = {}
    long_import = threading.Thread(
        target=lambda: results.update(long=import_lieux(db, [long_file], progress=progress))
    )
    long_import.start()
    assert halfway.wait(30)
    short_import = threading.Thread(target=lambda: results.update(short=import_lieux(db, [short_file])))
    short_import.start()
    # On PostGIS the short import commits now (or waits for the stamping lock); SQLite serialises writers.
    short_import.join(timeout=3)
    seen = {n["name"] for n in first_pull}
    during = _sync(gql, cursor)
    seen |= {n["name"] for n in during}
    if during:
        cursor = max(n["updatedAt"] for n in during)
    resume.set()
    long_import.join(timeout=60)
    short_import.join(timeout=60)
    assert results["long"].ok and results["short"].ok
    after = _sync(gql, cursor)
    seen |= {n["name"] for n in after}

    with db.read() as session:
        everything = set(session.scalars(select(Structure.name)))
    assert len(everything) == 1 + lieux.PROGRESS_EVERY + 10 + 3
    assert everything - seen == set()


def test_stamps_only_move_forward(db: Database) -> None:
    """A clock behind the latest stamp still stamps later than it (by a microsecond)."""
    from models.sync import stamp_changes

    future = datetime.now(UTC) + timedelta(days=1)
    with db.write() as session:
        ahead = factories.structure(session, "En avance")
        ahead.updated_at = future
        other = factories.structure(session, "Autre")
    with db.write() as session:
        stamp = stamp_changes(session, [other.id])
    assert stamp == future + timedelta(microseconds=1)
    with db.read() as session:
        assert session.scalar(select(Structure.updated_at).where(Structure.id == other.id)) == stamp
