"""The map's GeoJSON validators (ETag → 304), its clusters at low zoom, and the database-kept map state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select, update
from starlette.testclient import TestClient

from app.database import Database
from app.settings import Settings, load_settings
from models import ServiceKind, ServiceOffering, Structure, map_state
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import GQL

ADMIN, SAFE = ServiceKind.ADMINISTRATIVE_PROCEDURES, ServiceKind.SAFE_DIGITAL_USE
BOX = "0.10,45.60,0.20,45.70"
URL = "/geo/structures.geojson"


@pytest.fixture
def places(db: Database) -> dict[str, int]:
    with db.write() as session:
        rows = {
            "a": factories.structure(session, "A", lat=45.65, lon=0.15, operator=True),
            "b": factories.structure(session, "B", lat=45.651, lon=0.151, kinds=(SAFE,)),
            "c": factories.structure(session, "C", lat=45.61, lon=0.19, kinds=(ADMIN, SAFE)),
            "far": factories.structure(session, "Loin", lat=45.69, lon=0.11, kinds=(SAFE,)),
        }
        return {name: row.id for name, row in rows.items()}


def _state(db: Database) -> tuple[int, int]:
    with db.read() as session:
        version, count = session.execute(select(map_state.c.version, map_state.c.structures)).one()
        return int(version), int(count)


def test_repeated_request_is_answered_from_its_validator(
    client: TestClient, db: Database, places: dict[str, int]
) -> None:
    first = client.get(URL, params={"bbox": BOX})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # Weak comparison, lists and "*" (RFC 9110).
    assert (
        client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    )
    assert client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": '"other"'}).status_code == 200

    # Another query, another validator; the same kinds in another order are the same query.
    kinds = client.get(URL, params={"bbox": BOX, "kinds": "SAFE_DIGITAL_USE,ADMINISTRATIVE_PROCEDURES"})
    assert kinds.headers["etag"] != etag
    swapped = client.get(URL, params={"bbox": BOX, "kinds": "ADMINISTRATIVE_PROCEDURES,SAFE_DIGITAL_USE"})
    assert swapped.headers["etag"] == kinds.headers["etag"]
    assert client.get(URL, params={"bbox": BOX, "zoom": "12"}).headers["etag"] != etag


@pytest.mark.parametrize("change", ["rename", "offering", "carnet", "delete", "insert"])
def test_every_write_to_places_or_offerings_changes_the_validator(
    client: TestClient, db: Database, places: dict[str, int], change: str
) -> None:
    etag = client.get(URL, params={"bbox": BOX}).headers["etag"]
    with db.write() as session:
        if change == "rename":
            session.execute(update(Structure).where(Structure.id == places["a"]).values(name="A bis"))
        elif change == "offering":
            session.execute(delete(ServiceOffering).where(ServiceOffering.structure_id == places["c"]))
        elif change == "carnet":
            session.execute(update(ServiceOffering).values(accepts_carnet=True))
        elif change == "delete":
            session.execute(delete(Structure).where(Structure.id == places["b"]))
        else:
            factories.structure(session, "Nouveau", lat=45.62, lon=0.12)
    answer = client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": etag})
    assert answer.status_code == 200 and answer.headers["etag"] != etag
    assert (
        client.get(URL, params={"bbox": BOX}, headers={"If-None-Match": answer.headers["etag"]}).status_code
        == 304
    )


def test_map_state_counts_structures_exactly(db: Database) -> None:
    version, count = _state(db)
    assert count == 0
    with db.write() as session:
        for i in range(5):
            factories.structure(session, f"S{i}", lat=45.6, lon=0.1 + i / 100)
    with db.write() as session:
        session.execute(delete(Structure).where(Structure.name.in_(["S0", "S3"])))
    with db.read() as session:
        exact = session.scalar(select(func.count()).select_from(Structure))
    later, counted = _state(db)
    assert counted == exact == 3
    assert later > version
    # A transaction that rolls back leaves it as it was.
    with pytest.raises(RuntimeError), db.write() as session:
        factories.structure(session, "Annulé", lat=45.6, lon=0.1)
        session.flush()
        raise RuntimeError("rollback")
    assert _state(db) == (later, 3)


@pytest.fixture
def capped_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    from app.asgi import create_app

    app = create_app(load_settings(database_url=settings.database_url, geojson_max_features=2))
    with TestClient(app) as client:
        yield client
    app.state.services.db.dispose()


def test_low_zoom_answers_clusters_instead_of_refusing(
    capped_client: TestClient, places: dict[str, int]
) -> None:
    # Without zoom, past the cap: refused, as before.
    assert capped_client.get(URL, params={"bbox": BOX}).status_code == 400
    answer = capped_client.get(URL, params={"bbox": BOX, "zoom": "12"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    collection = answer.json()
    assert collection["type"] == "FeatureCollection" and collection["clustered"] is True
    assert collection["zoom"] == 12
    clusters = collection["features"]
    assert all(f["properties"]["cluster"] is True for f in clusters)
    assert sum(f["properties"]["count"] for f in clusters) == 4
    # A and B are 150 m apart: one cell at zoom 12 (about 2 km); C and "Loin" are cells of their own.
    by_count = sorted(clusters, key=lambda f: -f["properties"]["count"])
    pair = by_count[0]
    assert pair["properties"]["count"] == 2 and pair["properties"]["operators"] == 1
    west, south, east, north = pair["properties"]["bbox"]
    assert (west, south, east, north) == (0.15, 45.65, 0.151, 45.651)
    longitude, latitude = pair["geometry"]["coordinates"]
    assert longitude == pytest.approx(0.1505) and latitude == pytest.approx(45.6505)
    assert "id" not in pair["properties"]
    lone_ids = {f["properties"]["id"] for f in by_count[1:]}
    assert lone_ids == {to_global_id("Structure", places["c"]), to_global_id("Structure", places["far"])}

    # Zoomed in far enough, the places themselves (at most the cap).
    closer = capped_client.get(URL, params={"bbox": "0.149,45.649,0.152,45.652", "zoom": "17"}).json()
    assert closer["clustered"] is False
    assert sorted(f["properties"]["name"] for f in closer["features"]) == ["A", "B"]
    # Filters apply to clusters too.
    safe = capped_client.get(URL, params={"bbox": BOX, "zoom": "3", "kinds": "SAFE_DIGITAL_USE"}).json()
    assert safe["clustered"] is True and sum(f["properties"]["count"] for f in safe["features"]) == 3


def test_a_wide_box_is_drawn_at_a_lower_zoom(capped_client: TestClient, places: dict[str, int]) -> None:
    from geo.bbox import BBox
    from geo.clusters import MAX_CELLS, grid_for

    world = BBox.parse("-180,-85,180,85")
    grid = grid_for(world, 18)
    assert grid.zoom < 18 and grid.cells_in(world) <= MAX_CELLS
    answer = capped_client.get(URL, params={"bbox": "-180,-85,180,85", "zoom": "18"}).json()
    assert answer["zoom"] == grid.zoom and len(answer["features"]) <= MAX_CELLS
    assert sum(f["properties"]["count"] for f in answer["features"]) == 4


@pytest.mark.parametrize("zoom", ["-1", "23", "douze", "1.5"])
def test_zoom_errors_name_the_field(client: TestClient, places: dict[str, int], zoom: str) -> None:
    answer = client.get(URL, params={"bbox": BOX, "zoom": zoom})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == "zoom" and "0 à 22" in error["message"]


def test_unfiltered_total_count_reads_the_kept_count(gql: GQL, db: Database, places: dict[str, int]) -> None:
    query = "query($f: StructureFilter) { structures(first: 1, filter: $f) { totalCount } }"
    assert gql.data(query)["structures"]["totalCount"] == 4
    with db.write() as session:
        session.execute(delete(Structure).where(Structure.id == places["a"]))
        factories.structure(session, "D", lat=45.6, lon=0.1)
        factories.structure(session, "E", lat=45.6, lon=0.1)
    assert gql.data(query)["structures"]["totalCount"] == 5
    # Filtered lists still count their rows.
    assert gql.data(query, {"f": {"kinds": ["SAFE_DIGITAL_USE"]}})["structures"]["totalCount"] == 3
