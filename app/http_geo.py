"""Plain HTTP routes of the public mapping (GeoJSON, CSV export)."""

from __future__ import annotations

from starlette.routing import Route

from app.context import Services


def geo_routes(services: Services) -> list[Route]:
    return []
