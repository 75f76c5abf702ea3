"""Points: validation, conversion to geometry values, and keeping rows' point columns in step."""

from __future__ import annotations

import math
from typing import Any, Protocol

from geoalchemy2.elements import WKTElement

SRID = 4326
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG), the one PostGIS uses for spherical distances


class Located(Protocol):
    latitude: float | None
    longitude: float | None
    location: Any


def valid_point(latitude: float | None, longitude: float | None) -> bool:
    return (
        latitude is not None
        and longitude is not None
        and math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90.0 <= latitude <= 90.0
        and -180.0 <= longitude <= 180.0
        and not (latitude == 0.0 and longitude == 0.0)
    )


def point_element(latitude: float, longitude: float) -> WKTElement:
    # WKT and GeoJSON put longitude first.
    return WKTElement(f"POINT({longitude!r} {latitude!r})", srid=SRID)


def point_ewkt(latitude: float, longitude: float) -> str:
    """The point as extended WKT, the text a geometry column reads (bulk writes, ``COPY``)."""
    return f"SRID={SRID};POINT({longitude!r} {latitude!r})"


def geometry_from_ewkt(dialect: str, placeholder: str) -> str:
    """The SQL making a geometry of an extended-WKT parameter, for bulk writes that bypass the ORM."""
    return f"ST_GeomFromEWKT({placeholder})" if dialect == "postgresql" else f"GeomFromEWKT({placeholder})"


def set_point(row: Located, latitude: float | None, longitude: float | None) -> None:
    """Set a row's point (or clear it) in both its float columns and its geometry."""
    if latitude is None or longitude is None:
        row.latitude = row.longitude = None
        row.location = None
        return
    row.latitude, row.longitude = latitude, longitude
    row.location = point_element(latitude, longitude)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean-radius sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
