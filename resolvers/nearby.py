"""Offerings near a place, nearest first, in keyset pages on (distance, id)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, bindparam, exists, select
from sqlalchemy.orm import Session

from geo.nearby import OfferingRow, check_radius, nearest_offerings
from models import Public, ServiceKind, ServiceOffering, SpecificSupport, Structure
from models.standard import mask
from resolvers.hours import open_at_clause, open_at_params
from resolvers.pagination import DISTANCE, ID, Page, decode_cursor, keyset_page, page_size
from resolvers.places import Place, resolve_place


@dataclass(frozen=True)
class NearbyOffering:
    offering: OfferingRow
    distance_km: float


def _keyset(after: str | None) -> tuple[float, int] | None:
    if after is None:
        return None
    distance, pk = decode_cursor(after, (DISTANCE, ID))
    return distance, pk


def kind_values(kinds: Sequence[ServiceKind] | None) -> list[str]:
    """The distinct values of a list of kinds, in the standard's order: what reaches SQL, however long the
    list a client sent (a kind repeated 500 000 times is one parameter)."""
    wanted = set(kinds or ())
    return [k.value for k in ServiceKind if k in wanted]


@functools.cache
def structure_filter(open_at: bool, publics: bool, specific: bool) -> ColumnElement[bool]:
    """Offerings whose structure is shown on the map (not closed), narrowed by the filters asked; built once
    per shape, values as parameters (``geo.nearby`` caches its statements by this clause)."""
    conditions = [Structure.id == ServiceOffering.structure_id, Structure.closed_at.is_(None)]
    if publics:
        conditions.append(Structure.publics_mask.op("&")(bindparam("nb_publics", type_=Integer)) != 0)
    if specific:
        conditions.append(
            Structure.specific_support_mask.op("&")(bindparam("nb_specific", type_=Integer)) != 0
        )
    if open_at:
        conditions.append(open_at_clause())
    return exists(select(Structure.id).where(*conditions))


def kinds_condition(kinds: Sequence[ServiceKind] | None) -> list[ColumnElement[bool]]:
    return [ServiceOffering.kind.in_(kind_values(kinds))] if kinds else []


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
    open_at: datetime | None = None,
    publics: Sequence[Public] | None = None,
    specific_support: Sequence[SpecificSupport] | None = None,
) -> Page[NearbyOffering]:
    """A page of offerings within ``radius_km`` of the place, nearest first, ties by id."""
    radius = check_radius(radius_km, max_radius_km)
    limit = page_size(first, cap)
    keyset = _keyset(after)
    latitude, longitude = resolve_place(session, near)
    values = kind_values(kinds) or None
    params = open_at_params(open_at, "openAt") if open_at is not None else {}
    if publics:
        params["nb_publics"] = mask(publics, Public)
    if specific_support:
        params["nb_specific"] = mask(specific_support, SpecificSupport)
    where = structure_filter(open_at is not None, bool(publics), bool(specific_support))
    hits = nearest_offerings(
        session,
        latitude,
        longitude,
        radius,
        limit=limit + 1,
        kinds=values,
        after=keyset,
        where=where,
        where_params=params,
    )
    page = keyset_page(
        hits,
        limit,
        # The distance goes in the cursor as computed (JSON keeps every bit of a float).
        lambda h: (h.distance_km, h.offering.id),
    )
    return Page(
        items=[NearbyOffering(h.offering, h.distance_km) for h in page.items],
        cursors=page.cursors,
        has_next=page.has_next,
    )
