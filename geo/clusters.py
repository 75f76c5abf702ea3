"""Server-side clusters for the public map: points grouped on a grid of Web Mercator cells.

The grid is the slippy map's (Leaflet, OpenLayers, MapLibre): at zoom z the world is 2**z tiles of 256 px,
and a cell is a quarter of a tile (64 px on screen), square on the map. It is anchored to the world, not to
the box asked for, so that panning keeps each cluster where it was and two clients at one zoom share cells.

A box too wide for its zoom (a client may ask anything) is drawn at a lower zoom, until it holds at most
``MAX_CELLS`` cells: an answer never has more clusters than that, whatever the box and the zoom.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, bindparam, case, func

from geo.bbox import BBox

CELLS_PER_TILE = 4
MAX_CELLS = 1024
MAX_ZOOM = 22
# Web Mercator stops at about ±85.05°; points beyond fall in its first and last rows of cells.
MAX_LATITUDE = 85.05112878


def mercator_y(latitude: float) -> float:
    """Northing in radians (0 at the equator, π at the map's top edge)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, latitude))
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


@dataclass(frozen=True)
class Grid:
    zoom: int  # the zoom the cells are drawn at: the one asked for, or lower when the box is too wide

    @property
    def cells_per_turn(self) -> int:
        return (2**self.zoom) * CELLS_PER_TILE

    @property
    def lon_step(self) -> float:
        return 360.0 / self.cells_per_turn

    @property
    def y_step(self) -> float:
        return 2 * math.pi / self.cells_per_turn

    def cells_in(self, box: BBox) -> int:
        """How many cells the box touches (an upper bound)."""
        columns = sum(
            math.floor((e + 180) / self.lon_step) - math.floor((w + 180) / self.lon_step) + 1
            for w, e in box.lon_ranges()
        )
        rows = (
            math.floor((math.pi - mercator_y(box.south)) / self.y_step)
            - math.floor((math.pi - mercator_y(box.north)) / self.y_step)
            + 1
        )
        return columns * rows

    def params(self) -> dict[str, float]:
        return {
            "cl_lon_step": self.lon_step,
            "cl_y_step": self.y_step,
            "cl_quarter_pi": math.pi / 4,
            "cl_half_rad": math.pi / 360,
            "cl_pi": math.pi,
        }


def grid_for(box: BBox, zoom: int) -> Grid:
    grid = Grid(max(0, min(MAX_ZOOM, zoom)))
    while grid.zoom > 0 and grid.cells_in(box) > MAX_CELLS:
        grid = Grid(grid.zoom - 1)
    return grid


@functools.cache
def cell_keys(latitude: Any, longitude: Any) -> tuple[ColumnElement[float], ColumnElement[float]]:
    """(column, row) of a point's cell, as SQL on both backends; parameters from ``Grid.params``."""

    def p(name: str) -> Any:
        return bindparam(name, type_=Float)

    column = func.floor((longitude + 180.0) / p("cl_lon_step"))
    # Clamped as mercator_y does (PostgreSQL refuses the logarithm of 0 at the south pole).
    lat = case(
        (latitude > MAX_LATITUDE, MAX_LATITUDE), (latitude < -MAX_LATITUDE, -MAX_LATITUDE), else_=latitude
    )
    northing = func.ln(func.tan(p("cl_quarter_pi") + lat * p("cl_half_rad")))
    row = func.floor((p("cl_pi") - northing) / p("cl_y_step"))
    return column, row
