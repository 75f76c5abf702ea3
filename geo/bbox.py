"""Bounding boxes: validation and the index-backed "inside this box" filter on both backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, column, func, or_, select, table

from geo.points import SRID
from models.errors import InvalidInput


@dataclass(frozen=True)
class BBox:
    south: float
    west: float
    north: float
    east: float

    @classmethod
    def checked(cls, south: float, west: float, north: float, east: float, field: str = "bbox") -> BBox:
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            raise InvalidInput(field, f"{field} : south et north sont des latitudes entre -90 et 90")
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise InvalidInput(field, f"{field} : west et east sont des longitudes entre -180 et 180")
        if south > north:
            raise InvalidInput(
                field, f"{field} : south ({south}) doit être inférieur ou égal à north ({north})"
            )
        return cls(south, west, north, east)

    def lon_ranges(self) -> list[tuple[float, float]]:
        """One range, or two when the box crosses the antimeridian (west > east)."""
        if self.west <= self.east:
            return [(self.west, self.east)]
        return [(self.west, 180.0), (-180.0, self.east)]

    @classmethod
    def parse(cls, value: str, field: str = "bbox") -> BBox:
        """``west,south,east,north`` as in GeoJSON and most map libraries."""
        parts = value.split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise InvalidInput(
                field, f"{field} : attendu « west,south,east,north » en degrés décimaux, reçu « {value} »"
            ) from None
        return cls.checked(south, west, north, east, field)


def index_prefilter(
    model: Any, dialect: str, west: Any, south: Any, east: Any, north: Any
) -> ColumnElement[bool]:
    """Rows of ``model`` whose indexed point may lie in the box (floats or bind parameters): the only place
    that asks a spatial index, GiST ``&&`` on PostGIS, the R*Tree table SpatiaLite keeps beside the table."""
    if dialect == "postgresql":
        envelope = func.ST_MakeEnvelope(west, south, east, north, SRID)
        return model.location.op("&&")(envelope)
    rtree = table(
        f"idx_{model.__tablename__}_location",
        column("pkid"),
        column("xmin"),
        column("xmax"),
        column("ymin"),
        column("ymax"),
    )
    candidates = select(rtree.c.pkid).where(
        rtree.c.xmin <= east, rtree.c.xmax >= west, rtree.c.ymin <= north, rtree.c.ymax >= south
    )
    return model.id.in_(candidates)


def within_bbox(model: Any, box: BBox, dialect: str) -> ColumnElement[bool]:
    """Rows of ``model`` (a table with location/latitude/longitude) whose point lies in the box.

    The spatial index narrows the candidates (GiST ``&&`` on PostGIS, the R*Tree table on SpatiaLite); the
    float columns then decide exactly, so that both backends agree to the last row.
    """
    clauses = []
    for west, east in box.lon_ranges():
        prefilter = index_prefilter(model, dialect, west, box.south, east, box.north)
        clauses.append(
            and_(
                prefilter,
                model.latitude.between(box.south, box.north),
                model.longitude.between(west, east),
            )
        )
    return or_(*clauses)
