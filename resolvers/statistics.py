"""Network statistics for coordinators, computed in SQL over the live history and the anonymous records.

A *step* is one history event: its kind, when, from and to which structure, its reasons, and for a taking
in charge the days it waited since the dossier last became ``ORIENTED``. Live steps come from
``dossier_events``; the steps of purged dossiers from ``anonymous_steps``, which the retention purge fills
from the very same projection (``live_steps``), so that statistics are equal before and after a purge.
A live step counts when its instant is in [from, to); a purged one when the first instant (UTC) of its month
is: for whole months (UTC), the figures do not depend on what was purged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CTE, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from models import Dossier, DossierEvent, DossierEventKind, DossierStatus
from models.errors import InvalidInput, NotAllowed
from models.sql import days_between
from models.statistics import AnonymousStep
from models.workflow import TABLE
from resolvers.auth import Actor
from resolvers.dossiers import require_actor

K = DossierEventKind
# The events after which a dossier is ORIENTED somewhere: the wait before a taking in charge starts at the
# last of them (read from the state table, so that a new way into ORIENTED counts by itself).
INTO_ORIENTED = sorted({t.event.value for t in TABLE.values() if t.to is DossierStatus.ORIENTED})
MEDIAN_DIGITS = 2


def live_steps() -> Select[tuple[object, ...]]:
    """Every history event as a step (columns: dossier_id, kind, at, from/to structure, reasons, days)."""
    entered = aliased(DossierEvent)
    entered_at = (
        select(func.max(entered.at))
        .where(
            entered.dossier_id == DossierEvent.dossier_id,
            entered.kind.in_(INTO_ORIENTED),
            entered.id < DossierEvent.id,
        )
        .scalar_subquery()
    )
    return select(
        DossierEvent.dossier_id,
        DossierEvent.kind,
        DossierEvent.at,
        DossierEvent.from_structure_id,
        DossierEvent.to_structure_id,
        DossierEvent.archive_reason,
        DossierEvent.decline_reason,
        case(
            (DossierEvent.kind == K.TAKEN_IN_CHARGE.value, days_between(entered_at, DossierEvent.at)),
            else_=None,
        ).label("days"),
    )


def _steps(start: datetime, end: datetime) -> CTE:
    live = live_steps().where(DossierEvent.at >= start, DossierEvent.at < end).subquery()
    purged = select(
        AnonymousStep.kind,
        AnonymousStep.from_structure_id,
        AnonymousStep.to_structure_id,
        AnonymousStep.archive_reason,
        AnonymousStep.decline_reason,
        AnonymousStep.days_to_take_in_charge.label("days"),
    ).where(AnonymousStep.month >= start, AnonymousStep.month < end)
    return union_all(
        select(
            live.c.kind,
            live.c.from_structure_id,
            live.c.to_structure_id,
            live.c.archive_reason,
            live.c.decline_reason,
            live.c.days,
        ),
        purged,
    ).cte("steps")


@dataclass
class StructureFigures:
    structure_id: int
    oriented: int = 0
    taken_in_charge: int = 0
    reoriented_away: int = 0
    archived: int = 0
    declined: int = 0
    expired: int = 0
    waiting_now: int = 0
    median_days_to_take_in_charge: float | None = None


@dataclass
class NetworkFigures:
    oriented: int = 0
    taken_in_charge: int = 0
    reoriented: int = 0
    archived: int = 0
    declined: int = 0
    expired: int = 0
    claimed: int = 0
    median_days_to_take_in_charge: float | None = None
    archive_reasons: list[tuple[str, int]] = field(default_factory=list)
    decline_reasons: list[tuple[str, int]] = field(default_factory=list)
    by_structure: list[StructureFigures] = field(default_factory=list)
    flows: list[tuple[int, int, int]] = field(default_factory=list)


# Network totals: the count of each kind of step.
_NETWORK = {
    K.ORIENTED: "oriented",
    K.TAKEN_IN_CHARGE: "taken_in_charge",
    K.REORIENTED: "reoriented",
    K.ARCHIVED: "archived",
    K.DECLINED: "declined",
    K.EXPIRED: "expired",
    K.CLAIMED: "claimed",
}
# Per structure: steps counted where the dossier arrived (to) or where it left from (from).
_ARRIVED = {
    K.ORIENTED: "oriented",
    K.REORIENTED: "oriented",
    K.TAKEN_IN_CHARGE: "taken_in_charge",
    K.ARCHIVED: "archived",
}
_LEFT = {K.REORIENTED: "reoriented_away", K.DECLINED: "declined", K.EXPIRED: "expired"}


def _medians(session: Session, steps: CTE, by_structure: bool) -> dict[int | None, float]:
    """Median days to take in charge, per structure or over the network, with window functions only
    (SQLite has no percentile function): the middle row, or the mean of the two middle rows."""
    group = steps.c.to_structure_id if by_structure else literal(None)
    taken = (
        select(
            group.label("g"),
            steps.c.days,
            func.row_number().over(partition_by=group, order_by=steps.c.days).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(steps.c.kind == K.TAKEN_IN_CHARGE.value, steps.c.days.is_not(None))
        .subquery()
    )
    stmt = (
        select(taken.c.g, func.avg(taken.c.days))
        .where(taken.c.rn.in_([(taken.c.n + 1) // 2, (taken.c.n + 2) // 2]))
        .group_by(taken.c.g)
    )
    return {g: round(float(m), MEDIAN_DIGITS) for g, m in session.execute(stmt)}


def statistics(session: Session, actor: Actor | None, start: datetime, end: datetime) -> NetworkFigures:
    actor = require_actor(actor)
    if not actor.is_coordinator:
        raise NotAllowed("Les statistiques du réseau sont réservées à la coordination.")
    for name, value in (("from", start), ("to", end)):
        if value.tzinfo is None:
            raise InvalidInput(
                name, f"{name} : date ISO 8601 avec fuseau attendue (ex. 2026-01-01T00:00:00+01:00)"
            )
    if end <= start:
        raise InvalidInput("to", "to : attendu une date postérieure à « from » (période [from, to))")
    steps = _steps(start, end)

    figures = NetworkFigures()
    for kind, n in session.execute(select(steps.c.kind, func.count()).group_by(steps.c.kind)):
        measure = _NETWORK.get(K(kind))
        if measure:
            setattr(figures, measure, n)

    per: dict[int, StructureFigures] = {}

    def of(structure_id: int) -> StructureFigures:
        return per.setdefault(structure_id, StructureFigures(structure_id))

    # Each step is named by the measure it counts for, in SQL, and counted per (structure, measure).
    arrived = select(
        steps.c.to_structure_id.label("s"),
        case({k.value: m for k, m in _ARRIVED.items()}, value=steps.c.kind).label("m"),
    ).where(steps.c.kind.in_([k.value for k in _ARRIVED]), steps.c.to_structure_id.is_not(None))
    left = select(
        steps.c.from_structure_id.label("s"),
        case({k.value: m for k, m in _LEFT.items()}, value=steps.c.kind).label("m"),
    ).where(steps.c.kind.in_([k.value for k in _LEFT]), steps.c.from_structure_id.is_not(None))
    sides = union_all(arrived, left).subquery()
    for structure_id, measure, n in session.execute(
        select(sides.c.s, sides.c.m, func.count()).group_by(sides.c.s, sides.c.m)
    ):
        setattr(of(structure_id), measure, n)

    waiting = (
        select(Dossier.structure_id, func.count())
        .where(Dossier.status == DossierStatus.ORIENTED.value)
        .group_by(Dossier.structure_id)
    )
    for structure_id, n in session.execute(waiting):
        of(structure_id).waiting_now = n

    figures.median_days_to_take_in_charge = _medians(session, steps, by_structure=False).get(None)
    for structure_id, median in _medians(session, steps, by_structure=True).items():
        if structure_id is not None:
            of(structure_id).median_days_to_take_in_charge = median

    def reasons(kind: DossierEventKind, column: str) -> list[tuple[str, int]]:
        col = steps.c[column]
        stmt = (
            select(col, func.count().label("n"))
            .where(steps.c.kind == kind.value, col.is_not(None))
            .group_by(col)
            .order_by(func.count().desc(), col)
        )
        return [(r, n) for r, n in session.execute(stmt)]

    figures.archive_reasons = reasons(K.ARCHIVED, "archive_reason")
    figures.decline_reasons = reasons(K.DECLINED, "decline_reason")
    flows = (
        select(steps.c.from_structure_id, steps.c.to_structure_id, func.count())
        .where(
            steps.c.kind == K.REORIENTED.value,
            and_(steps.c.from_structure_id.is_not(None), steps.c.to_structure_id.is_not(None)),
        )
        .group_by(steps.c.from_structure_id, steps.c.to_structure_id)
        .order_by(func.count().desc(), steps.c.from_structure_id, steps.c.to_structure_id)
    )
    figures.flows = [(a, b, n) for a, b, n in session.execute(flows)]
    figures.by_structure = [per[k] for k in sorted(per)]
    return figures
