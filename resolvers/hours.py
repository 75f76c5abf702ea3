"""« Ouvert maintenant ? »: the weekly open intervals of structures, kept in step with their hours, and the
``openAt`` filter as SQL over them (rules in ``models.hours``).

The filter converts the instant into each of the twelve zones once (minute of the week, or of the day on a
public holiday there) and asks, for each row, whether one of its intervals in its own zone holds that
minute: one condition per zone, no Python loop over rows. Wall-clock intervals make daylight-saving time
right by construction: 09:00 is 09:00 local on both sides of a change.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Integer, and_, bindparam, delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from models import OpenInterval, Structure
from models.errors import InvalidInput
from models.hours import ZONES, local_minutes, time_zone_of, weekly_intervals

CHUNK = 500


def refresh_open_intervals(session: Session, structure_ids: Iterable[int]) -> None:
    """Recompute the intervals of these structures from their hours and département."""
    ids = sorted(set(structure_ids))
    table = OpenInterval.metadata.tables[OpenInterval.__tablename__]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(delete(table).where(table.c.structure_id.in_(chunk)))
        rows: list[dict[str, Any]] = []
        for pk, hours, department in session.execute(
            select(Structure.id, Structure.opening_hours, Structure.department_code).where(
                Structure.id.in_(chunk)
            )
        ):
            weekly = weekly_intervals(hours)
            if weekly is None:
                continue
            zone = time_zone_of(department)
            for holiday, intervals in ((False, weekly.week), (True, weekly.holiday)):
                rows.extend(
                    {
                        "structure_id": pk,
                        "holiday": holiday,
                        "start_minute": a,
                        "end_minute": b,
                        "time_zone": zone,
                    }
                    for a, b in intervals
                )
        if rows:
            session.execute(insert(table), rows)


@functools.cache
def open_at_clause() -> ColumnElement[bool]:
    """Structures open at the instant of ``open_at_params`` (built once; the values are parameters)."""
    per_zone = [
        and_(
            OpenInterval.time_zone == bindparam(f"oa_z{i}", zone),
            OpenInterval.holiday == bindparam(f"oa_h{i}", type_=Boolean),
            OpenInterval.start_minute <= bindparam(f"oa_m{i}", type_=Integer),
            OpenInterval.end_minute > bindparam(f"oa_m{i}", type_=Integer),
        )
        for i, zone in enumerate(ZONES)
    ]
    return exists(
        select(OpenInterval.structure_id).where(OpenInterval.structure_id == Structure.id, or_(*per_zone))
    )


def open_at_params(at: datetime, field: str) -> dict[str, Any]:
    if at.tzinfo is None:
        raise InvalidInput(
            field, f"{field} : attendu une date et heure ISO 8601 avec fuseau (ex. 2026-12-01T10:00:00+01:00)"
        )
    params: dict[str, Any] = {}
    for i, zone in enumerate(ZONES):
        minute, holiday = local_minutes(at, zone)
        params[f"oa_m{i}"], params[f"oa_h{i}"] = minute, holiday
    return params
