"""Offerings near a place, nearest first, in keyset pages on (distance, id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from geo.nearby import check_radius, nearest_offerings
from models import ServiceKind, ServiceOffering
from models.errors import InvalidInput
from resolvers.pagination import Page, decode_cursor, encode_cursor, page_size
from resolvers.places import Place, resolve_place


@dataclass(frozen=True)
class NearbyOffering:
    offering: ServiceOffering
    distance_km: float


def _keyset(after: str | None) -> tuple[float, int] | None:
    if after is None:
        return None
    distance, pk = decode_cursor(after, 2)
    if not isinstance(distance, int | float) or isinstance(distance, bool) or not isinstance(pk, int):
        raise InvalidInput(
            "after", "after : curseur invalide pour cette liste ; utilisez un endCursor de cette liste"
        )
    return float(distance), pk


def kinds_condition(kinds: Sequence[ServiceKind] | None) -> list[ColumnElement[bool]]:
    return [ServiceOffering.kind.in_([k.value for k in kinds])] if kinds else []


def nearby_offerings(
    session: Session,
    near: Place,
    kinds: Sequence[ServiceKind] | None,
    radius_km: float,
    first: int | None,
    after: str | None,
    *,
    max_radius_km: float,
    cap: int,
) -> Page[NearbyOffering]:
    """A page of offerings within ``radius_km`` of the place, nearest first, ties by id."""
    radius = check_radius(radius_km, max_radius_km)
    limit = page_size(first, cap)
    keyset = _keyset(after)
    latitude, longitude = resolve_place(session, near)
    values = [k.value for k in kinds] if kinds else None
    hits = nearest_offerings(
        session, latitude, longitude, radius, limit=limit + 1, kinds=values, after=keyset
    )
    page = hits[:limit]
    return Page(
        items=[NearbyOffering(h.offering, h.distance_km) for h in page],
        # The distance goes in the cursor as computed (JSON keeps every bit of a float).
        cursors=[encode_cursor(h.distance_km, h.offering.id) for h in page],
        has_next=len(hits) > limit,
    )
