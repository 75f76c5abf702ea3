"""The centre of a few nearby points (a postal code's communes, for instance)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean_point(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(latitude, longitude) of the normalised mean of the points' unit vectors.

    Plain means of longitudes break across the antimeridian (Wallis-et-Futuna sits next to it).
    """
    if not points:
        raise ValueError("mean_point of no points")
    if len(points) == 1:
        return points[0]
    x = y = z = 0.0
    for lat, lon in points:
        p, q = math.radians(lat), math.radians(lon)
        x += math.cos(p) * math.cos(q)
        y += math.cos(p) * math.sin(q)
        z += math.sin(p)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))
