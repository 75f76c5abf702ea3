"""Map queries: structures in a viewport (GraphQL bbox filter) and the GeoJSON route with its cap."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from app.database import Database
from app.settings import Settings, load_settings
from models import ServiceKind
from resolvers.ids import to_global_id
from tests import factories
from tests.conftest import GQL

ADMIN, SAFE = ServiceKind.ADMINISTRATIVE_PROCEDURES, ServiceKind.SAFE_DIGITAL_USE
# Angoulême's centre, roughly: west, south, east, north.
BOX = {"west": 0.10, "south": 45.60, "east": 0.20, "north": 45.70}
BOX_PARAM = "0.10,45.60,0.20,45.70"


@pytest.fixture
def places(db: Database) -> dict[str, int]:
    with db.write() as session:
        rows = {
            "member_admin": factories.structure(
                session, "Membre démarches", lat=45.65, lon=0.15, operator=True
            ),
            "place_safe": factories.structure(session, "Lieu sécurité", lat=45.66, lon=0.16, kinds=(SAFE,)),
            "member_both": factories.structure(
                session, "Membre les deux", lat=45.61, lon=0.19, kinds=(ADMIN, SAFE), operator=True
            ),
            "edge": factories.structure(session, "Sur le bord", lat=45.70, lon=0.20, kinds=(SAFE,)),
            "outside": factories.structure(session, "Dehors", lat=45.75, lon=0.15, operator=True),
            "no_point": factories.structure(session, "Sans point", lat=None, lon=None, operator=True),
        }
        return {name: row.id for name, row in rows.items()}


STRUCTURES = """
query($filter: StructureFilter, $first: Int, $after: String) {
  structures(filter: $filter, first: $first, after: $after) {
    totalCount edges { node { id name isOperator location { latitude longitude } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _names(gql: GQL, filter: dict[str, Any]) -> list[str]:
    data = gql.data(STRUCTURES, {"filter": filter, "first": 50})["structures"]
    assert data["totalCount"] == len(data["edges"])
    return [e["node"]["name"] for e in data["edges"]]


def test_viewport_with_kinds_and_operators_only(gql: GQL, places: dict[str, int]) -> None:
    inside = ["Membre démarches", "Lieu sécurité", "Membre les deux", "Sur le bord"]
    assert _names(gql, {"bbox": BOX}) == inside
    assert _names(gql, {"bbox": BOX, "kinds": ["SAFE_DIGITAL_USE"]}) == [
        "Lieu sécurité",
        "Membre les deux",
        "Sur le bord",
    ]
    assert _names(gql, {"bbox": BOX, "operatorsOnly": True}) == ["Membre démarches", "Membre les deux"]
    assert _names(gql, {"bbox": BOX, "operatorsOnly": True, "kinds": ["SAFE_DIGITAL_USE"]}) == [
        "Membre les deux"
    ]
    assert _names(gql, {"bbox": BOX, "kinds": ["AFFORDABLE_EQUIPMENT"]}) == []


def test_viewport_across_the_antimeridian(gql: GQL, db: Database) -> None:
    with db.write() as session:
        factories.structure(session, "Est", lat=-13.3, lon=179.5)
        factories.structure(session, "Ouest", lat=-13.3, lon=-179.5)
        factories.structure(session, "Loin", lat=-13.3, lon=0.0)
    box = {"west": 179.0, "south": -14.0, "east": -179.0, "north": -13.0}
    assert _names(gql, {"bbox": box}) == ["Est", "Ouest"]


def test_viewport_errors_name_the_field(gql: GQL, places: dict[str, int]) -> None:
    body = gql(STRUCTURES, {"filter": {"bbox": {**BOX, "south": 46.0, "north": 45.0}}})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert "south" in error["message"] and "north" in error["message"]


def test_geojson_feature_collection(client: TestClient, gql: GQL, places: dict[str, int]) -> None:
    response = client.get("/geo/structures.geojson", params={"bbox": BOX_PARAM})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["properties"]["name"]: f for f in collection["features"]}
    assert set(features) == {"Membre démarches", "Lieu sécurité", "Membre les deux", "Sur le bord"}
    both = features["Membre les deux"]
    assert both["type"] == "Feature"
    # RFC 7946: longitude first.
    assert both["geometry"] == {"type": "Point", "coordinates": [0.19, 45.61]}
    assert both["id"] == both["properties"]["id"] == to_global_id("Structure", places["member_both"])
    assert both["properties"]["isOperator"] is True
    assert both["properties"]["kinds"] == ["ADMINISTRATIVE_PROCEDURES", "SAFE_DIGITAL_USE"]
    assert both["properties"]["address"]["postalCode"] == "16000"
    # The same ids as GraphQL's, so that a map can ask for details.
    graphql_ids = {
        e["node"]["id"] for e in gql.data(STRUCTURES, {"filter": {"bbox": BOX}})["structures"]["edges"]
    }
    assert graphql_ids == {f["id"] for f in collection["features"]}

    filtered = client.get(
        "/geo/structures.geojson",
        params={
            "bbox": BOX_PARAM,
            "kinds": "SAFE_DIGITAL_USE,ADMINISTRATIVE_PROCEDURES",
            "operators_only": "true",
        },
    ).json()
    assert sorted(f["properties"]["name"] for f in filtered["features"]) == [
        "Membre démarches",
        "Membre les deux",
    ]
    only_safe = client.get(
        "/geo/structures.geojson", params={"bbox": BOX_PARAM, "kinds": "SAFE_DIGITAL_USE"}
    ).json()
    assert sorted(f["properties"]["name"] for f in only_safe["features"]) == [
        "Lieu sécurité",
        "Membre les deux",
        "Sur le bord",
    ]


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({}, "bbox", "obligatoire"),
        ({"bbox": "0.1,45.6,0.2"}, "bbox", "west,south,east,north"),
        ({"bbox": "a,b,c,d"}, "bbox", "west,south,east,north"),
        ({"bbox": "0.1,46,0.2,45"}, "bbox", "south"),
        ({"bbox": "0.1,45.6,200,45.7"}, "bbox", "longitudes"),
        ({"bbox": BOX_PARAM, "kinds": "ADMIN"}, "kinds", "ADMINISTRATIVE_PROCEDURES"),
        ({"bbox": BOX_PARAM, "operators_only": "peut-être"}, "operators_only", "true ou false"),
    ],
)
def test_geojson_bad_parameters(
    client: TestClient, places: dict[str, int], params: dict[str, str], field: str, words: str
) -> None:
    response = client.get("/geo/structures.geojson", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_INPUT" and error["field"] == field
    assert field in error["message"] and words in error["message"], error["message"]


@pytest.fixture
def capped_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    from app.asgi import create_app

    app = create_app(load_settings(database_url=settings.database_url, geojson_max_features=3))
    with TestClient(app) as client:
        yield client
    app.state.services.db.dispose()


def test_geojson_cap_says_how_many_and_to_zoom_in(capped_client: TestClient, places: dict[str, int]) -> None:
    response = capped_client.get("/geo/structures.geojson", params={"bbox": BOX_PARAM})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "bbox")
    assert (error["matched"], error["limit"]) == (4, 3)
    assert "4 lieux" in error["message"] and "au plus 3" in error["message"] and "zoomez" in error["message"]
    # At the cap exactly, it answers.
    response = capped_client.get(
        "/geo/structures.geojson", params={"bbox": BOX_PARAM, "kinds": "SAFE_DIGITAL_USE"}
    )
    assert response.status_code == 200 and len(response.json()["features"]) == 3


# ---------------- « Ouvert maintenant » on the map: open_at ----------------

WEEKDAY_MORNINGS, WEEKDAY_EVENINGS = "Mo-Fr 09:00-12:00", "Mo-Fr 17:00-20:00"
# Monday 30 November 2026, 10:00 in Angoulême (09:00 UTC): the mornings are open, the evenings closed.
MONDAY_10H = "2026-11-30T10:00:00+01:00"


@pytest.fixture
def hours_places(db: Database) -> dict[str, int]:
    from resolvers.hours import refresh_open_intervals

    spots = {
        "Matin 1": (45.65, 0.15, WEEKDAY_MORNINGS),
        "Matin 2": (45.61, 0.19, WEEKDAY_MORNINGS),
        "Matin 3": (45.66, 0.12, WEEKDAY_MORNINGS),
        "Matin 4": (45.69, 0.18, WEEKDAY_MORNINGS),
        "Soir": (45.651, 0.151, WEEKDAY_EVENINGS),
        "Sans horaires": (45.62, 0.13, None),
    }
    with db.write() as session:
        ids = {}
        for name, (lat, lon, hours) in spots.items():
            row = factories.structure(session, name, lat=lat, lon=lon)
            row.opening_hours = hours
            ids[name] = row.id
        session.flush()
        refresh_open_intervals(session, ids.values())
        return ids


def _geojson_names(client: TestClient, **params: str) -> list[str]:
    response = client.get("/geo/structures.geojson", params={"bbox": BOX_PARAM, **params})
    assert response.status_code == 200, response.text
    return sorted(f["properties"]["name"] for f in response.json()["features"])


def test_geojson_open_at_keeps_the_places_open_at_that_instant(
    client: TestClient, gql: GQL, hours_places: dict[str, int]
) -> None:
    everything = ["Matin 1", "Matin 2", "Matin 3", "Matin 4", "Sans horaires", "Soir"]
    assert _geojson_names(client) == everything
    mornings = ["Matin 1", "Matin 2", "Matin 3", "Matin 4"]
    assert _geojson_names(client, open_at=MONDAY_10H) == mornings
    # The same instant in UTC; the evening place is the one open at 18:00; nothing on a Sunday.
    assert _geojson_names(client, open_at="2026-11-30T09:00:00Z") == mornings
    assert _geojson_names(client, open_at="2026-11-30T18:00:00+01:00") == ["Soir"]
    assert _geojson_names(client, open_at="2026-11-29T10:00:00+01:00") == []
    # The same places as GraphQL's openAt (one SQL for both), with the other filters too.
    graphql = gql.data(STRUCTURES, {"filter": {"bbox": BOX, "openAt": MONDAY_10H}, "first": 50})
    assert sorted(e["node"]["name"] for e in graphql["structures"]["edges"]) == mornings
    assert _geojson_names(client, open_at=MONDAY_10H, kinds="SAFE_DIGITAL_USE") == []
    # Typed by hand in a URL, the "+" of the offset arrives as a space: still read as the offset.
    raw = client.get(f"/geo/structures.geojson?bbox={BOX_PARAM}&open_at=2026-11-30T18:00:00+01:00")
    assert raw.status_code == 200 and [f["properties"]["name"] for f in raw.json()["features"]] == ["Soir"]


@pytest.mark.parametrize("value", ["demain", "2026-11-30", "2026-11-30T10:00:00", "2026-13-30T10:00:00Z"])
def test_geojson_open_at_must_be_an_instant_with_its_offset(
    client: TestClient, hours_places: dict[str, int], value: str
) -> None:
    response = client.get("/geo/structures.geojson", params={"bbox": BOX_PARAM, "open_at": value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "open_at")
    message = error["message"]
    assert message.startswith("open_at :") and "ISO 8601 avec fuseau" in message and value in message, message


def test_geojson_open_at_is_part_of_the_validator(client: TestClient, hours_places: dict[str, int]) -> None:
    url = "/geo/structures.geojson"

    def etag(**params: str) -> str:
        response = client.get(url, params={"bbox": BOX_PARAM, **params})
        assert response.status_code == 200
        return response.headers["etag"]

    plain, monday = etag(), etag(open_at=MONDAY_10H)
    assert len({plain, monday, etag(open_at="2026-11-30T18:00:00+01:00")}) == 3
    # The filter compares minutes: the same minute, written otherwise, is the same answer and the same key.
    assert etag(open_at="2026-11-30T09:00:42.5Z") == monday
    assert etag(open_at="2026-11-30T09:01:00Z") != monday
    # Revalidated with its own validator only.
    again = client.get(
        url, params={"bbox": BOX_PARAM, "open_at": MONDAY_10H}, headers={"If-None-Match": monday}
    )
    assert again.status_code == 304
    other = client.get(url, params={"bbox": BOX_PARAM}, headers={"If-None-Match": monday})
    assert other.status_code == 200 and other.headers["etag"] == plain


def test_geojson_open_at_applies_to_clusters(capped_client: TestClient, hours_places: dict[str, int]) -> None:
    def clusters(**params: str) -> dict[str, Any]:
        response = capped_client.get(
            "/geo/structures.geojson", params={"bbox": BOX_PARAM, "zoom": "8", **params}
        )
        assert response.status_code == 200, response.text
        collection: dict[str, Any] = response.json()
        assert collection["clustered"] is True
        return collection

    assert sum(f["properties"]["count"] for f in clusters()["features"]) == 6
    # Four open (more than the cap of 3): still clusters, of the open places only.
    open_now = clusters(open_at=MONDAY_10H)["features"]
    assert sum(f["properties"]["count"] for f in open_now) == 4
    # The evening: one place, under the cap, so the place itself.
    evening = capped_client.get(
        "/geo/structures.geojson",
        params={"bbox": BOX_PARAM, "zoom": "8", "open_at": "2026-11-30T18:00:00+01:00"},
    ).json()
    assert evening["clustered"] is False
    assert [f["properties"]["name"] for f in evening["features"]] == ["Soir"]
