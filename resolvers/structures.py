"""Reading structures and offerings: listings with filters and keyset pages, lookups, batch loaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from geo.bbox import BBox, within_bbox
from models import (
    Public,
    ServiceKind,
    ServiceOffering,
    SpecificSupport,
    Structure,
    kind_sets,
    map_state,
    utcnow,
)
from models.errors import InvalidInput, NotAllowed, NotFound
from models.mapping import accepting_orientations
from models.standard import mask
from resolvers.auth import Actor
from resolvers.dossiers import require_actor
from resolvers.hours import open_at_clause, open_at_params
from resolvers.nearby import kind_values
from resolvers.pagination import ID, INSTANT, Page, checked_instant, decode_cursor, keyset_page, page_size


@dataclass(frozen=True)
class StructureQuery:
    kinds: Sequence[ServiceKind] | None = None
    commune_code: str | None = None
    department_code: str | None = None
    bbox: BBox | None = None
    updated_since: datetime | None = None
    operators_only: bool = False
    open_at: datetime | None = None
    include_closed: bool = False
    publics: Sequence[Public] | None = None
    specific_support: Sequence[SpecificSupport] | None = None


# Closed places are left out unless asked for: this very object, so that counting can recognise it.
NOT_CLOSED: ColumnElement[bool] = Structure.closed_at.is_(None)


def _conditions(
    query: StructureQuery, dialect: str, params: dict[str, Any] | None = None
) -> list[ColumnElement[bool]]:
    """The filter's conditions; the values of shared (cached) clauses go into ``params`` (needed by openAt)."""
    conditions: list[ColumnElement[bool]] = []
    if query.kinds:
        # LIMIT 1 keeps SQLite 3.51 from turning EXISTS into a join, which returns a structure once per
        # matching kind (tests/test_map.py shows it); PostgreSQL plans it as the same semi-join.
        conditions.append(
            select(ServiceOffering.id)
            .where(
                ServiceOffering.structure_id == Structure.id,
                ServiceOffering.kind.in_(kind_values(query.kinds)),
            )
            .limit(1)
            .exists()
        )
    if query.commune_code is not None:
        conditions.append(Structure.commune_code == query.commune_code.strip())
    if query.department_code is not None:
        conditions.append(Structure.department_code == query.department_code.strip().upper())
    if query.bbox is not None:
        conditions.append(within_bbox(Structure, query.bbox, dialect))
    if query.updated_since is not None:
        conditions.append(Structure.updated_at > checked_instant(query.updated_since, "filter.updatedSince"))
    if query.operators_only:
        conditions.append(Structure.is_operator.is_(True))
    if not query.include_closed:
        conditions.append(NOT_CLOSED)
    if query.publics:
        conditions.append(Structure.publics_mask.op("&")(mask(query.publics, Public)) != 0)
    if query.specific_support:
        conditions.append(
            Structure.specific_support_mask.op("&")(mask(query.specific_support, SpecificSupport)) != 0
        )
    if query.open_at is not None:
        assert params is not None, "openAt binds its instant as parameters"
        params.update(open_at_params(query.open_at, "filter.openAt"))
        conditions.append(open_at_clause())
    return conditions


def list_structures(
    session: Session,
    query: StructureQuery,
    first: int | None,
    after: str | None,
    cap: int,
    with_total: bool = True,
) -> Page[Structure]:
    """A page of structures. Incremental sync (``updated_since``) pages by (updated_at, id), the rest by id."""
    limit = page_size(first, cap)
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {}
    conditions = _conditions(query, dialect, params)
    by_update = query.updated_since is not None

    stmt: Select[Structure] = select(Structure).where(*conditions)
    if after is not None:
        if by_update:
            at, last_id = decode_cursor(after, (INSTANT, ID))
            stmt = stmt.where(
                or_(Structure.updated_at > at, and_(Structure.updated_at == at, Structure.id > last_id))
            )
        else:
            (last_id,) = decode_cursor(after, (ID,))
            stmt = stmt.where(Structure.id > last_id)
    order = (Structure.updated_at, Structure.id) if by_update else (Structure.id,)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1), params))
    # Counting is most of the cost of a page on a large table: only when asked for.
    total = None
    if with_total and query.kinds and _kinds_only(query):
        total = count_by_kinds(session, query.kinds, query.include_closed)
    elif with_total:
        total = count_structures(session, conditions, params)
    if by_update:
        return keyset_page(rows, limit, lambda r: (r.updated_at.isoformat(), r.id), total)
    return keyset_page(rows, limit, lambda r: (r.id,), total)


def count_structures(
    session: Session, conditions: Sequence[ColumnElement[bool]], params: dict[str, Any] | None = None
) -> int:
    """Exact. Unfiltered, the count the database keeps (``map_state``) instead of reading every row, less the
    closed places (few, read on their index) when only those are left out."""
    if all(c is NOT_CLOSED for c in conditions):
        kept: ColumnElement[Any] = map_state.c.structures
        if conditions:
            closed = select(func.count()).select_from(Structure).where(Structure.closed_at.is_not(None))
            kept = kept - closed.scalar_subquery()
        return int(session.execute(select(kept).where(map_state.c.id == 1)).scalar_one())
    return session.scalar(select(func.count()).select_from(Structure).where(*conditions), params or {}) or 0


def _kinds_only(query: StructureQuery) -> bool:
    """The filter is made of kinds only (closed places in or out): a count the database keeps answers it."""
    rest = replace(
        query,
        kinds=None,
        include_closed=False,
        publics=query.publics or None,
        specific_support=query.specific_support or None,
    )
    return rest == StructureQuery()


def count_by_kinds(session: Session, kinds: Sequence[ServiceKind], include_closed: bool) -> int:
    """Exact: the structures offering at least one of ``kinds``, summed over the sets of kinds the database
    keeps counted (``kind_sets``, at most 2**9 × 2 rows) instead of reading the structures."""
    wanted = set(kind_values(kinds))
    stmt = select(kind_sets.c.kinds, kind_sets.c.structures)
    if not include_closed:
        stmt = stmt.where(kind_sets.c.closed.is_(False))
    return sum(int(count) for key, count in session.execute(stmt) if wanted.intersection(key.split(",")))


def structure_by_id(session: Session, pk: int) -> Structure | None:
    return session.get(Structure, pk)


def structures_by_ids(session: Session, ids: Sequence[int]) -> list[Structure | None]:
    rows = {s.id: s for s in session.scalars(select(Structure).where(Structure.id.in_(set(ids))))}
    return [rows.get(i) for i in ids]


def offerings_by_structure_ids(session: Session, ids: Sequence[int]) -> list[list[ServiceOffering]]:
    grouped: dict[int, list[ServiceOffering]] = defaultdict(list)
    stmt = (
        select(ServiceOffering).where(ServiceOffering.structure_id.in_(set(ids))).order_by(ServiceOffering.id)
    )
    for offering in session.scalars(stmt):
        grouped[offering.structure_id].append(offering)
    return [grouped.get(i, []) for i in ids]


# ---------- pausing new orientations ----------


def set_accepting_orientations(
    session: Session,
    actor: Actor | None,
    structure_pk: int,
    accepting: bool,
    until: datetime | None,
    now: datetime | None = None,
) -> Structure:
    """A member pauses (until a date, or until it resumes) or resumes new orientations.

    Its own operators or a coordinator; anyone else gets NotAllowed. ``until`` goes with a pause only, and
    must be in the future; past it, the structure accepts again by itself (``accepting_orientations``).
    """
    actor = require_actor(actor)
    now = now or utcnow()
    structure = session.get(Structure, structure_pk)
    if structure is None:
        raise NotFound("structureId : structure introuvable")
    if not (actor.is_coordinator or actor.structure_id == structure.id):
        raise NotAllowed(
            "Seuls les opérateurs de cette structure et la coordination peuvent suspendre ses orientations."
        )
    if not structure.is_operator:
        raise InvalidInput(
            "structureId",
            f"structureId : « {structure.name} » n'est pas membre de la plateforme et ne reçoit pas d'orientations",
        )
    if until is not None:
        if accepting:
            raise InvalidInput(
                "until", "until : une date de reprise ne va qu'avec une pause (accepting: false)"
            )
        if until.tzinfo is None:
            raise InvalidInput(
                "until",
                "until : attendu une date et heure ISO 8601 avec fuseau (ex. 2026-12-15T09:00:00+01:00)",
            )
        if until <= now:
            raise InvalidInput(
                "until", "until : attendu une date à venir (la pause reprend d'elle-même à cette date)"
            )
    structure.paused = not accepting
    structure.paused_until = until if not accepting else None
    session.flush()
    return structure


def is_accepting(structure: Structure, now: datetime | None = None) -> bool:
    return accepting_orientations(structure, now or utcnow())
