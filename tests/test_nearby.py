"""nearbyOfferings: exact against brute-force haversine on real places, index use, inputs and paging."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.database import Database
from geo.nearby import circle_boxes, nearest_offerings, offerings_within
from geo.points import EARTH_RADIUS_KM, haversine_km, set_point
from models import ServiceKind, ServiceOffering, Structure
from models.errors import InvalidInput
from resolvers.nearby import nearby_offerings
from resolvers.places import Place
from tests import factories
from tests.conftest import GQL
from tests.geo_factories import PlacedOffering, analyze, commune, load_lieux_v0

# Points where the real data is dense, sparse, overseas, on the coast and astride a border.
PLACES = {
    "Lyon (mainland, Rhône/Ain)": (45.7640, 4.8357),
    "Saint-Denis, La Réunion (974)": (-20.8823, 55.4504),
    "Marseille, Vieux-Port (coast)": (43.2951, 5.3744),
    "Saint-Cyr-sur-Mer (Bouches-du-Rhône/Var border)": (43.1800, 5.7000),
}
KIND = ServiceKind.ADMINISTRATIVE_PROCEDURES


def brute_force(
    placed: list[PlacedOffering], lat: float, lon: float, radius_km: float, kind: ServiceKind | None
) -> list[tuple[float, int]]:
    found = [
        (haversine_km(lat, lon, p.latitude, p.longitude), p.id)
        for p in placed
        if kind is None or p.kind is kind
    ]
    return sorted((d, i) for d, i in found if d <= radius_km)


def all_pages(
    session: Session, lat: float, lon: float, kinds: list[ServiceKind] | None, first: int
) -> list[Any]:
    items: list[Any] = []
    after = None
    while True:
        page = nearby_offerings(
            session, Place(point=(lat, lon)), kinds, 20.0, first, after, max_radius_km=100, cap=100
        )
        items += page.items
        if not page.has_next:
            return items
        after = page.cursors[-1]


@pytest.fixture
def real_places(db: Database) -> list[PlacedOffering]:
    with db.write() as session:
        placed = load_lieux_v0(session)
        analyze(session)
    return placed


def test_real_places_match_brute_force_haversine(db: Database, real_places: list[PlacedOffering]) -> None:
    by_id = {p.id: p for p in real_places}
    with db.read() as session:
        for name, (lat, lon) in PLACES.items():
            for kind in (None, KIND):
                expected = brute_force(real_places, lat, lon, 20.0, kind)
                assert len(expected) >= 2, f"{name}: the data should have places there"
                kinds = [kind.value] if kind else None
                got = nearest_offerings(session, lat, lon, 20.0, limit=100_000, kinds=kinds)
                assert [h.offering.id for h in got] == [i for _, i in expected], (name, kind)
                for hit, (distance, _) in zip(got, expected, strict=True):
                    assert abs(hit.distance_km - distance) < 0.001, (name, hit.offering.id)

                # Paging by cursor gives the sequence of one big page, across equal distances too.
                paged = all_pages(session, lat, lon, [kind] if kind else None, first=7)
                big = nearby_offerings(
                    session,
                    Place(point=(lat, lon)),
                    [kind] if kind else None,
                    20.0,
                    100,
                    None,
                    max_radius_km=100,
                    cap=100,
                )
                assert [i.offering.id for i in paged][:100] == [i.offering.id for i in big.items]
                assert [i.offering.id for i in paged] == [i for _, i in expected]
                assert big.has_next is (len(expected) > 100)

        # The border point really straddles the border, and the overseas point is overseas.
        lat, lon = PLACES["Saint-Cyr-sur-Mer (Bouches-du-Rhône/Var border)"]
        departments = {by_id[i].department for _, i in brute_force(real_places, lat, lon, 20.0, None)}
        assert {"13", "83"} <= departments
        lat, lon = PLACES["Saint-Denis, La Réunion (974)"]
        assert {by_id[i].department for _, i in brute_force(real_places, lat, lon, 20.0, None)} == {"974"}


def test_equal_distances_are_ordered_by_id_across_pages(db: Database) -> None:
    # Twelve places at one address (common in the real data): the cursor must not skip or repeat any.
    with db.write() as session:
        for _ in range(12):
            factories.structure(session, lat=45.6500, lon=0.1600, kinds=(KIND,))
        factories.structure(session, lat=45.6600, lon=0.1600, kinds=(KIND,))
    with db.read() as session:
        paged = all_pages(session, 45.64, 0.16, None, first=5)
        ids = [i.offering.id for i in paged]
        assert len(ids) == 13 == len(set(ids))
        assert ids[:12] == sorted(ids[:12])
        assert len({i.distance_km for i in paged[:12]}) == 1


@contextmanager
def captured_statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "service_offerings" in statement and not statement.lstrip().upper().startswith("EXPLAIN"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def test_nearby_search_uses_the_spatial_index(db: Database, real_places: list[PlacedOffering]) -> None:
    searches = [(lat, lon, kind) for lat, lon in PLACES.values() for kind in (None, KIND)]
    with db.read() as session:
        for lat, lon, kind in searches:
            with captured_statements(db) as statements:
                nearest_offerings(session, lat, lon, 20.0, limit=21, kinds=[kind.value] if kind else None)
                # The radius search of the suggestions, with a join condition of its own.
                offerings_within(
                    session,
                    lat,
                    lon,
                    30.0,
                    where=[ServiceOffering.structure.has(Structure.is_operator.is_(True))],
                )
            assert len(statements) >= 2
            for statement, parameters in statements:
                # Every statement avoids a full scan; the nearest-first ones also use the spatial index (the
                # radius search of suggestions may start from the few member structures instead).
                nearest = "ORDER BY" in statement and "LIMIT" in statement
                conn = session.connection()
                if db.backend == "postgis":
                    plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
                    assert "Seq Scan on service_offerings" not in plan, plan
                    assert not nearest or "idx_service_offerings_location" in plan, plan
                else:
                    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
                    plan = "\n".join(str(r[-1]) for r in rows)
                    # A full scan reads "SCAN service_offerings"; the R*Tree is a virtual table scan by box.
                    assert "SCAN service_offerings" not in plan, plan
                    assert not nearest or "SCAN idx_service_offerings_location VIRTUAL TABLE INDEX" in plan, (
                        plan
                    )


def test_circle_boxes_hold_the_circle() -> None:
    for lat, lon, radius in [
        (45.0, 0.0, 100.0),
        (-20.9, 55.45, 20.0),
        (-13.28, -176.17, 100.0),
        (89.5, 10.0, 100.0),
    ]:
        boxes = circle_boxes(lat, lon, radius)
        for bearing in range(0, 360, 5):
            # The point at ``radius`` on that bearing (spherical destination formula).
            d, b, p1, l1 = (
                radius / EARTH_RADIUS_KM,
                math.radians(bearing),
                math.radians(lat),
                math.radians(lon),
            )
            p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
            l2 = l1 + math.atan2(
                math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
            )
            plat, plon = math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0
            assert any(w <= plon <= e and s <= plat <= n for w, s, e, n in boxes), (lat, lon, bearing, boxes)
    # Wallis-et-Futuna: the box crosses the antimeridian and splits in two.
    assert len(circle_boxes(-13.28, -179.9, 50.0)) == 2


NEARBY = """
query($near: PlaceInput!, $kinds: [ServiceKind!], $radiusKm: Float, $first: Int, $after: String) {
  nearbyOfferings(near: $near, kinds: $kinds, radiusKm: $radiusKm, first: $first, after: $after) {
    edges { cursor distanceKm node { id kind location { latitude longitude } structure { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    return dict(error)


def test_nearby_over_graphql(gql: GQL, db: Database) -> None:
    with db.write() as session:
        commune(session, "16015", "Angoulême", 45.6484, 0.1562, ("16000",))
        commune(session, "16102", "Cognac", 45.6958, -0.3287, ("16100",))
        commune(session, "16150", "Châteaubernard", 45.6720, -0.3240, ("16100",))
        commune(session, "16999", "Sans point", None, None)
        factories.structure(session, "Près", lat=45.6500, lon=0.1600, kinds=(KIND,))
        factories.structure(session, "Loin", lat=45.7000, lon=0.3000, kinds=(KIND,))
        factories.structure(
            session, "Autre service", lat=45.6490, lon=0.1570, kinds=(ServiceKind.SAFE_DIGITAL_USE,)
        )
        hidden = factories.structure(session, "Sans coordonnées", lat=None, lon=None, kinds=(KIND,))
        # An offering with its own point, away from its structure's: its own point counts.
        annex = factories.structure(session, "Antenne", lat=45.9000, lon=0.9000, kinds=(KIND,))
        set_point(annex.offerings[0], 45.6485, 0.1563)
        annex.offerings[0].own_latitude, annex.offerings[0].own_longitude = 45.6485, 0.1563
        factories.structure(session, "Cognac", lat=45.6950, lon=-0.3300, kinds=(KIND,))
        assert hidden.offerings[0].location is None

    def names(variables: dict[str, Any]) -> list[str]:
        edges = gql.data(NEARBY, variables)["nearbyOfferings"]["edges"]
        return [e["node"]["structure"]["name"] for e in edges]

    by_commune = {"near": {"communeCode": "16015"}}
    assert names(by_commune) == ["Antenne", "Autre service", "Près", "Loin"]
    assert names({**by_commune, "kinds": [KIND.name]}) == ["Antenne", "Près", "Loin"]
    assert names({**by_commune, "radiusKm": 5}) == ["Antenne", "Autre service", "Près"]
    assert names({"near": {"point": {"latitude": 45.7, "longitude": 0.3}}, "radiusKm": 1}) == ["Loin"]
    # Postal code 16100 serves Cognac and Châteaubernard: the centre of the two.
    assert names({"near": {"postalCode": "16100"}, "radiusKm": 5}) == ["Cognac"]

    edges = gql.data(NEARBY, {**by_commune, "first": 10})["nearbyOfferings"]["edges"]
    first = edges[0]
    assert first["node"]["location"] == {"latitude": 45.6485, "longitude": 0.1563}
    assert abs(first["distanceKm"] - haversine_km(45.6484, 0.1562, 45.6485, 0.1563)) < 1e-9
    assert [e["distanceKm"] for e in edges] == sorted(e["distanceKm"] for e in edges)
    by_page: list[str] = []
    after = None
    while True:
        conn = gql.data(NEARBY, {**by_commune, "first": 1, "after": after})["nearbyOfferings"]
        by_page += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert by_page == [e["node"]["id"] for e in edges]


@pytest.mark.parametrize(
    ("variables", "field", "words"),
    [
        ({"near": {}}, "near", "exactement un"),
        ({"near": {"communeCode": "16015", "postalCode": "16000"}}, "near", "communeCode, postalCode"),
        ({"near": {"communeCode": "99999"}}, "near.communeCode", "aucune commune"),
        ({"near": {"communeCode": "16"}}, "near.communeCode", "5 caractères"),
        ({"near": {"communeCode": "16999"}}, "near.communeCode", "pas de coordonnées"),
        ({"near": {"postalCode": "1600"}}, "near.postalCode", "5 chiffres"),
        ({"near": {"postalCode": "99999"}}, "near.postalCode", "aucun code postal"),
        ({"near": {"point": {"latitude": 95, "longitude": 0}}}, "near.point", "entre -90 et 90"),
        ({"near": {"communeCode": "16015"}, "radiusKm": 0}, "radiusKm", "au plus 100"),
        ({"near": {"communeCode": "16015"}, "radiusKm": 150}, "radiusKm", "au plus 100"),
        ({"near": {"communeCode": "16015"}, "first": 500}, "first", "au plus 100"),
        ({"near": {"communeCode": "16015"}, "after": "nope"}, "after", "curseur invalide"),
        ({"near": {"communeCode": "16015"}, "after": "WzFd"}, "after", "curseur invalide"),
    ],
)
def test_nearby_errors_name_the_field(
    gql: GQL, db: Database, variables: dict[str, Any], field: str, words: str
) -> None:
    with db.write() as session:
        commune(session, "16015", "Angoulême", 45.6484, 0.1562, ("16000",))
        commune(session, "16999", "Sans point", None, None)
    error = _error(gql(NEARBY, variables))
    assert error["extensions"]["field"] == field
    assert field.split(".")[-1] in error["message"] and words in error["message"], error["message"]


def test_unknown_code_is_an_error_not_an_empty_page(db: Database) -> None:
    with db.read() as session, pytest.raises(InvalidInput) as raised:
        nearby_offerings(
            session, Place(commune_code="16015"), None, 20.0, 20, None, max_radius_km=100, cap=100
        )
    assert raised.value.field == "near.communeCode"
    with db.read() as session:
        assert session.scalars(select(ServiceOffering)).first() is None
