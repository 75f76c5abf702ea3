"""Reading structures and offerings: listings with filters and keyset pages, lookups, batch loaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from geo.bbox import BBox, within_bbox
from models import ServiceKind, ServiceOffering, Structure, map_state
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


def _conditions(query: StructureQuery, dialect: str) -> list[ColumnElement[bool]]:
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
    conditions = _conditions(query, dialect)
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
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    # Counting is most of the cost of a page on a large table: only when asked for.
    total = count_structures(session, conditions) if with_total else None
    if by_update:
        return keyset_page(rows, limit, lambda r: (r.updated_at.isoformat(), r.id), total)
    return keyset_page(rows, limit, lambda r: (r.id,), total)


def count_structures(session: Session, conditions: Sequence[ColumnElement[bool]]) -> int:
    """Exact. Unfiltered, the count the database keeps (``map_state``) instead of reading every row."""
    if not conditions:
        return int(session.execute(select(map_state.c.structures).where(map_state.c.id == 1)).scalar_one())
    return session.scalar(select(func.count()).select_from(Structure).where(*conditions)) or 0


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
