"""How far is far: geodesic distances, and "offerings near this point" on both backends.

One distance everywhere: the great circle on the mean-radius sphere (``geo.points.haversine_km``). The SQL
below computes it with the very operations of the Python function (same constants, same order), so that
the databases and a brute-force check in Python agree on distances and on the order they give, to the bit.

The spatial index only narrows the candidates, the haversine decides. Nearest-first is an index-backed
radius search whose radius grows: the index is asked for the box around a circle (GiST ``&&`` on PostGIS,
the R*Tree table on SpatiaLite), rows are kept only inside the circle and ordered by (distance, id); when
the circle holds fewer rows than asked, it widens, by the density seen, up to the requested radius. Rows
outside the circle are never ranked, so no nearer row can be missed, and the work stays proportional to
the rows near the point, not to the table.

Why not PostGIS KNN (``<->`` in ORDER BY)? The walk cannot stop at the radius (a rare kind far from
everything walks the whole index), and PostgreSQL does not combine it with the ``id`` tie-break, so equal
distances (several places at one address are common) could be cut arbitrarily at a page boundary.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Float, Integer, Select, String, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from geo.bbox import index_prefilter
from geo.points import EARTH_RADIUS_KM
from models import ServiceOffering
from models.errors import InvalidInput

# How far is far. The nearby search's default radius, the reorientation suggestions' (a beneficiary travels
# further for a place that covers their needs), and the largest any caller may ask
# (AIGUILLAGE_NEARBY_MAX_RADIUS_KM may lower or raise it; the schema's defaults read these).
DEFAULT_RADIUS_KM = 20.0
SUGGESTIONS_RADIUS_KM = 30.0
MAX_RADIUS_KM = 100.0

_DEG = math.pi / 180  # the constant math.radians multiplies by
# Degrees added around a circle's box, against rounding at its edges.
_BOX_MARGIN_DEG = 1e-7
# First radius of a nearest-first search, in km; it grows from there by the density seen. Small enough
# that dense cities answer from the first circle, large enough that most places need at most two.
FIRST_REACH_KM = 5.0


class OfferingRow(NamedTuple):
    """The columns of an offering that the nearby answers read: a tuple, not an ORM entity (a hot path, where
    loading entities cost more than the search itself)."""

    id: int
    structure_id: int
    kind: str
    fees: str | None
    accepts_carnet: bool
    latitude: float | None
    longitude: float | None


OFFERING_COLUMNS = tuple(getattr(ServiceOffering, name) for name in OfferingRow._fields)


class Hit(NamedTuple):
    offering: OfferingRow
    distance_km: float


def _hits(rows: Any) -> list[Hit]:
    return [Hit(OfferingRow._make(row[:-1]), row[-1]) for row in rows]


Box = tuple[float, float, float, float]


def check_radius(radius_km: float, max_radius_km: float, field: str = "radiusKm") -> float:
    if not (math.isfinite(radius_km) and 0 < radius_km <= max_radius_km):
        raise InvalidInput(
            field,
            f"{field} : attendu un rayon en kilomètres, supérieur à 0 et au plus {max_radius_km:g}, "
            # Every digit received: "{:g}" would round 100.0000001 to "100", which reads as allowed.
            f"reçu {radius_km!r}",
        )
    return radius_km


def _param(name: str) -> Any:
    return bindparam(name, type_=Float)


# Statements are built once per shape, with the point, the boxes and the limits as parameters: building
# and hashing the expression tree of the haversine costs more than running the query.


@functools.cache
def haversine_sql(dialect: str) -> ColumnElement[float]:
    """Distance in km from the point of ``distance_params`` to each offering's effective point (NULL without)."""
    deg, half = _param("nb_deg"), _param("nb_half")
    p2 = ServiceOffering.latitude * deg
    dp_half = (p2 - _param("nb_p1")) * half
    dl_half = (ServiceOffering.longitude - _param("nb_lon0")) * deg * half
    sin_dp, sin_dl = func.sin(dp_half), func.sin(dl_half)
    # Grouped as Python evaluates ``cos(p1) * cos(p2) * sin(dl / 2) ** 2``: SQLAlchemy would drop the
    # brackets, and a different order of products changes the last bits.
    a = sin_dp * sin_dp + _param("nb_cos_p1") * func.cos(p2) * (sin_dl * sin_dl).self_group()
    root = func.sqrt(a)
    one = _param("nb_one")
    capped = func.least(one, root) if dialect == "postgresql" else func.min(one, root)
    distance: ColumnElement[float] = _param("nb_two_r") * func.asin(capped)
    return distance


def distance_params(latitude: float, longitude: float) -> dict[str, float]:
    """The values of ``haversine_sql`` for a point: the very operands of ``geo.points.haversine_km``."""
    p1 = latitude * _DEG
    return {
        "nb_deg": _DEG,
        # Halving by a multiplication: exact as Python's ``/ 2``, with no integer division in SQL.
        "nb_half": 0.5,
        "nb_p1": p1,
        "nb_cos_p1": math.cos(p1),
        "nb_lon0": longitude,
        "nb_one": 1.0,
        "nb_two_r": 2 * EARTH_RADIUS_KM,
    }


def circle_boxes(latitude: float, longitude: float, radius_km: float) -> list[Box]:
    """(west, south, east, north) boxes that together hold the spherical cap of ``radius_km``.

    Two boxes when the cap crosses the antimeridian; the full band of longitudes when it holds a pole.
    """
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle) + _BOX_MARGIN_DEG
    south, north = max(-90.0, latitude - dlat), min(90.0, latitude + dlat)
    cos_lat = math.cos(math.radians(latitude))
    if north >= 90.0 or south <= -90.0 or angle >= math.pi / 2 or math.sin(angle) >= cos_lat:
        return [(-180.0, south, 180.0, north)]
    # The widest longitude of the cap, reached where its meridians are tangent to the circle.
    dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) + _BOX_MARGIN_DEG
    west, east = longitude - dlon, longitude + dlon
    if west < -180.0:
        return [(west + 360.0, south, 180.0, north), (-180.0, south, east, north)]
    if east > 180.0:
        return [(west, south, 180.0, north), (-180.0, south, east - 360.0, north)]
    return [(west, south, east, north)]


@functools.cache
def _in_boxes(dialect: str, count: int) -> ColumnElement[bool]:
    """Offerings whose point may lie in one of ``count`` boxes, as the spatial index answers it."""
    clauses: list[ColumnElement[bool]] = []
    for i in range(count):
        west, south, east, north = (_param(f"nb_{side}{i}") for side in "wsen")
        clauses.append(index_prefilter(ServiceOffering, dialect, west, south, east, north))
    return or_(*clauses)


def _box_params(boxes: list[Box]) -> dict[str, float]:
    return {
        f"nb_{side}{i}": value for i, box in enumerate(boxes) for side, value in zip("wsen", box, strict=True)
    }


@functools.cache
def _nearest_statement(
    dialect: str, boxes: int, kinds: bool, after: bool, where: ColumnElement[bool] | None
) -> Select[Any]:
    distance = haversine_sql(dialect)
    conditions = [_in_boxes(dialect, boxes), distance <= _param("nb_reach")]
    if where is not None:
        conditions.append(where)
    if kinds:
        conditions.append(ServiceOffering.kind.in_(bindparam("nb_kinds", type_=String, expanding=True)))
    if after:
        last_distance, last_id = _param("nb_after_distance"), bindparam("nb_after_id", type_=Integer)
        conditions.append(
            or_(distance > last_distance, and_(distance == last_distance, ServiceOffering.id > last_id))
        )
    return (
        select(*OFFERING_COLUMNS, distance)
        .where(*conditions)
        .order_by(distance, ServiceOffering.id)
        .limit(bindparam("nb_limit", type_=Integer))
    )


def nearest_offerings(
    session: Session,
    latitude: float,
    longitude: float,
    radius_km: float,
    *,
    limit: int,
    kinds: Sequence[str] | None = None,
    after: tuple[float, int] | None = None,
    where: ColumnElement[bool] | None = None,
    where_params: Mapping[str, Any] | None = None,
) -> list[Hit]:
    """Up to ``limit`` offerings within ``radius_km``, nearest first, ties by id, strictly after ``after``.

    ``kinds`` (ServiceKind values) narrows the offerings; offerings without a point never come back.
    ``where`` is one more condition on the offerings, built once by the caller (statements are cached by
    it) with its values in ``where_params``.
    """
    if limit <= 0:
        return []
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {
        **distance_params(latitude, longitude),
        "nb_limit": limit,
        **(where_params or {}),
    }
    if kinds:
        params["nb_kinds"] = list(kinds)
    if after is not None:
        params["nb_after_distance"], params["nb_after_id"] = after
    # Rows before the cursor lie within its distance: start the circle beyond it.
    reach = min(radius_km, max(FIRST_REACH_KM, after[0] * 1.25 if after else 0.0))
    while True:
        boxes = circle_boxes(latitude, longitude, reach)
        stmt = _nearest_statement(dialect, len(boxes), bool(kinds), after is not None, where)
        rows = session.execute(stmt, {**params, **_box_params(boxes), "nb_reach": reach})
        hits = _hits(rows)
        if len(hits) >= limit or reach >= radius_km:
            return hits
        # Too few rows in the circle: widen by the density seen (rows grow with the area), at least doubling.
        growth = math.sqrt(limit / max(len(hits), 0.5)) * 1.2
        reach = min(radius_km, reach * min(8.0, max(2.0, growth)))


def offerings_within(
    session: Session,
    latitude: float,
    longitude: float,
    radius_km: float,
    *,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Hit]:
    """Every offering within ``radius_km`` (narrowed by ``where``), nearest first, ties by id."""
    dialect = session.get_bind().dialect.name
    distance = haversine_sql(dialect)
    boxes = circle_boxes(latitude, longitude, radius_km)
    stmt = (
        select(*OFFERING_COLUMNS, distance)
        .where(*where, _in_boxes(dialect, len(boxes)), distance <= _param("nb_reach"))
        .order_by(distance, ServiceOffering.id)
    )
    params = {**distance_params(latitude, longitude), **_box_params(boxes), "nb_reach": radius_km}
    return _hits(session.execute(stmt, params))
