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
