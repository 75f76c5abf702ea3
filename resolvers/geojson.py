"""GeoJSON of the public map's viewport: the places inside a box, or their clusters when there are too many.

The map asks on every move, so this is a hot path: the places are read as tuples, one row each with its
offerings' kinds aggregated in SQL, and the features are written straight as JSON text, without an ORM
object, a dictionary or a list per place. The answer's bytes depend only on the data and on the query, so
its validator (``ETag``) is derived from those two, not from the body: ``map_state.version`` (changed by the
database on every write to places or offerings) and the normalised query. A repeated request is answered
from the validator alone, one primary-key read. A filter that depends on the clock must therefore carry its
time in the query (as ``openAt`` does), never read "now" while filtering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from geo.clusters import Grid, cell_keys, grid_for
from models import ServiceKind, Structure, map_state
from models.errors import TooManyFeatures
from resolvers.ids import to_global_id
from resolvers.pagination import utc_instant
from resolvers.structures import StructureQuery, _conditions, count_structures

# Changes with the answer's shape, so that clients holding an older body do not get a 304 for it.
ANSWER_FORMAT = "2"

_string = json.encoder.encode_basestring  # the C encoder of json.dumps(ensure_ascii=False), for one string


def normalised(query: StructureQuery) -> StructureQuery:
    """The query with its kinds deduplicated and in the vocabulary's order, and its ``open_at`` in UTC to the
    minute (``openAt`` compares minutes: ``models.hours.local_minutes``): equal answers, equal keys."""
    if query.kinds:
        wanted = set(query.kinds)
        query = replace(query, kinds=tuple(k for k in ServiceKind if k in wanted))
    if query.open_at is not None:
        query = replace(query, open_at=utc_instant(query.open_at).replace(second=0, microsecond=0))
    return query


def data_version(session: Session) -> int:
    """The map's data version; read it before the data, so that a write in between can only make it older."""
    # On the session's connection: a Core read, without the ORM's handling of a statement (a 304 is only this).
    version = session.connection().execute(select(map_state.c.version).where(map_state.c.id == 1))
    return int(version.scalar_one())


def validator(version: int, query: StructureQuery, zoom: int | None, max_features: int) -> str:
    """A strong ETag: same data version, same normalised query, same settings ⇒ the same bytes."""
    key = repr((ANSWER_FORMAT, normalised(query), zoom, max_features)).encode()
    return f'"{version}-{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


class _OfferingsFragments(dict[tuple[str | None, bool], str]):
    """``"kinds":[…],"labels":[…],"acceptsCarnet":…`` for each (``offering_kinds``, ``offering_carnet``) of a
    place, written once per distinct pair."""

    def __missing__(self, key: tuple[str | None, bool]) -> str:
        raw, carnet = key
        present = set((raw or "").split(","))
        kinds = [k for k in ServiceKind if k.value in present]
        text = (
            f'"kinds":{json.dumps([k.value for k in kinds], ensure_ascii=False, separators=(",", ":"))},'
            f'"labels":{json.dumps([k.label for k in kinds], ensure_ascii=False, separators=(",", ":"))},'
            f'"acceptsCarnet":{"true" if carnet else "false"}'
        )
        self[key] = text
        return text


def _places_statement(conditions: Sequence[Any], limit: int) -> Any:
    s = Structure
    # The offerings' kinds and carnet flag are kept on the place by the database (migration 0007_viewport):
    # one row per place, no lookup of its offerings.
    return (
        select(
            s.id,
            s.name,
            s.is_operator,
            s.street,
            s.postal_code,
            s.city,
            s.commune_code,
            s.latitude,
            s.longitude,
            s.opening_hours,
            s.phone,
            s.website,
            s.updated_at,
            s.offering_kinds,
            s.offering_carnet,
        )
        .where(*conditions)
        .order_by(s.id)
        .limit(limit)
    )


def _features(rows: Sequence[Any]) -> str:
    offerings_of = _OfferingsFragments()
    s = _string
    null = "null"
    parts = []
    for (
        pk,
        name,
        is_operator,
        street,
        postal_code,
        city,
        commune_code,
        latitude,
        longitude,
        opening_hours,
        phone,
        website,
        updated_at,
        kinds,
        carnet,
    ) in rows:
        gid = to_global_id("Structure", pk)
        parts.append(
            # RFC 7946: longitude first. Keys in the order the README documents them.
            f'{{"type":"Feature","id":"{gid}","geometry":{{"type":"Point","coordinates":[{longitude!r},'
            f'{latitude!r}]}},"properties":{{"id":"{gid}","name":{s(name)},'
            f'"isOperator":{"true" if is_operator else "false"},{offerings_of[kinds, carnet]},'
            f'"address":{{"street":{null if street is None else s(street)},'
            f'"postalCode":{null if postal_code is None else s(postal_code)},'
            f'"city":{null if city is None else s(city)},'
            f'"communeCode":{null if commune_code is None else s(commune_code)}}},'
            f'"openingHours":{null if opening_hours is None else s(opening_hours)},'
            f'"phone":{null if phone is None else s(phone)},"website":{null if website is None else s(website)},'
            f'"updatedAt":"{updated_at.isoformat()}"}}}}'
        )
    return ",".join(parts)


def _clusters(session: Session, conditions: Sequence[Any], grid: Grid, params: dict[str, Any]) -> str:
    column, row = cell_keys(Structure.latitude, Structure.longitude)
    points = (
        select(
            column.label("cx"),
            row.label("cy"),
            Structure.id,
            Structure.latitude,
            Structure.longitude,
            case((Structure.is_operator.is_(True), 1), else_=0).label("operator"),
        )
        .where(*conditions)
        .subquery()
    )
    p = points.c
    stmt = (
        select(
            p.cx,
            p.cy,
            func.count(),
            func.sum(p.operator),
            func.min(p.id),
            func.avg(p.longitude),
            func.avg(p.latitude),
            func.min(p.longitude),
            func.min(p.latitude),
            func.max(p.longitude),
            func.max(p.latitude),
        )
        .group_by(p.cx, p.cy)
        .order_by(p.cx, p.cy)
    )
    parts = []
    for cx, cy, count, operators, first_id, lon, lat, west, south, east, north in session.execute(
        stmt, {**params, **grid.params()}
    ):
        lone = f',"id":"{to_global_id("Structure", first_id)}"' if count == 1 else ""
        parts.append(
            f'{{"type":"Feature","id":"{grid.zoom}/{int(cx)}/{int(cy)}","geometry":{{"type":"Point",'
            f'"coordinates":[{float(lon)!r},{float(lat)!r}]}},"properties":{{"cluster":true,"count":{count},'
            f'"operators":{int(operators or 0)},"bbox":[{west!r},{south!r},{east!r},{north!r}]{lone}}}}}'
        )
    return ",".join(parts)


def structures_geojson(
    session: Session, query: StructureQuery, max_features: int, zoom: int | None = None
) -> bytes:
    """The RFC 7946 FeatureCollection of the structures matching ``query`` (which has a bbox), as UTF-8.

    At most ``max_features`` places; past that, without ``zoom``, TooManyFeatures (with how many matched);
    with ``zoom``, the clusters of the places on the map's grid at that zoom (``geo.clusters``).
    """
    assert query.bbox is not None, "the map's GeoJSON is always for a box"
    params: dict[str, Any] = {}
    conditions = _conditions(query, session.get_bind().dialect.name, params)
    # Core rows (the session's connection): the columns are plain values, no ORM result handling per row.
    rows = session.connection().execute(_places_statement(conditions, max_features + 1), params).all()
    if len(rows) <= max_features:
        head = '{"type":"FeatureCollection",' + ('"clustered":false,' if zoom is not None else "")
        return (head + '"features":[' + _features(rows) + "]}").encode()
    if zoom is None:
        matched = count_structures(session, conditions, params)
        raise TooManyFeatures(matched, max_features)
    grid = grid_for(query.bbox, zoom)
    return (
        f'{{"type":"FeatureCollection","clustered":true,"zoom":{grid.zoom},"features":['
        + _clusters(session, conditions, grid, params)
        + "]}"
    ).encode()
