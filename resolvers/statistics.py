"""Network statistics for coordinators, computed in SQL over the live history and the anonymous records.

A *step* is one history event: its kind, when, from and to which structure, its reasons, and for a taking
in charge the days it waited since the dossier last became ``ORIENTED`` (the event keeps that instant,
``previous_since``, so that no query walks a dossier's history). Live steps come from
``dossier_events``; the steps of purged dossiers from ``anonymous_steps``, which the retention purge fills
from the very same projection (``live_steps``), so that statistics are equal before and after a purge.
A live step counts when its instant is in [from, to); a purged one when the first instant (UTC) of its month
is: for whole months (UTC), the figures do not depend on what was purged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, Float, Integer, Select, String, case, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from models import Dossier, DossierEvent, DossierEventKind, DossierStatus, Structure
from models.errors import InvalidInput, NotAllowed
from models.sql import days_between
from models.statistics import AnonymousStep
from resolvers.auth import Actor
from resolvers.dossiers import require_actor
from resolvers.pagination import checked_instant
from resolvers.structures import structures_by_ids

K = DossierEventKind
MEDIAN_DIGITS = 2


def live_steps() -> Select[tuple[object, ...]]:
    """Every history event as a step (columns: dossier_id, kind, at, from/to structure, reasons, days)."""
    return select(
        DossierEvent.dossier_id,
        DossierEvent.kind,
        DossierEvent.at,
        DossierEvent.from_structure_id,
        DossierEvent.to_structure_id,
        DossierEvent.archive_reason,
        DossierEvent.decline_reason,
        case(
            (
                DossierEvent.kind == K.TAKEN_IN_CHARGE.value,
                days_between(DossierEvent.previous_since, DossierEvent.at),
            ),
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
    return (
        union_all(
            select(
                live.c.kind,
                live.c.from_structure_id,
                live.c.to_structure_id,
                live.c.archive_reason,
                live.c.decline_reason,
                live.c.days,
            ),
            purged,
        )
        .cte("steps")
        .prefix_with("MATERIALIZED")
    )


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
_NETWORK_BY_NAME = {k.value: name for k, name in _NETWORK.items()}
_ARRIVED = {
    K.ORIENTED: "oriented",
    K.REORIENTED: "oriented",
    K.TAKEN_IN_CHARGE: "taken_in_charge",
    K.ARCHIVED: "archived",
}
_LEFT = {K.REORIENTED: "reoriented_away", K.DECLINED: "declined", K.EXPIRED: "expired"}


def _row(
    section: str,
    label: Any = None,
    a: Any = None,
    b: Any = None,
    n: Any = None,
    m: Any = None,
) -> list[Any]:
    """One shape for every section of the answer: (section, label, a, b, n, m), typed NULLs elsewhere."""
    return [
        literal(section, String).label("section"),
        (label if label is not None else cast(None, String)).label("label"),
        (a if a is not None else cast(None, Integer)).label("a"),
        (b if b is not None else cast(None, Integer)).label("b"),
        (n if n is not None else cast(None, Integer)).label("n"),
        (m if m is not None else cast(None, Float)).label("m"),
    ]


def _median(steps: CTE, by_structure: bool) -> Select[Any]:
    """Median days to take in charge, per structure or over the network, with window functions only
    (SQLite has no percentile function): the middle row, or the mean of the two middle rows."""
    group = steps.c.to_structure_id if by_structure else literal(0)
    taken = (
        select(
            group.label("g"),
            steps.c.days,
            func.row_number().over(partition_by=group, order_by=steps.c.days).label("rn"),
            func.count().over(partition_by=group).label("total"),
        )
        .where(steps.c.kind == K.TAKEN_IN_CHARGE.value, steps.c.days.is_not(None))
        .subquery()
    )
    return (
        select(*_row("median_structure" if by_structure else "median", a=taken.c.g, m=func.avg(taken.c.days)))
        .where(taken.c.rn.in_([(taken.c.total + 1) // 2, (taken.c.total + 2) // 2]))
        .group_by(taken.c.g)
    )


def structure_medians(
    session: Session, start: datetime, end: datetime, structure_ids: Sequence[int], minimum: int
) -> dict[int, float]:
    """Median days to take in charge in [start, end) of these structures, for those with at least ``minimum``
    dossiers taken in charge then (the same steps and median as the network statistics)."""
    if not structure_ids:
        return {}
    steps = _steps(start, end)
    taken = (
        select(steps.c.to_structure_id, func.count())
        .where(
            steps.c.kind == K.TAKEN_IN_CHARGE.value,
            steps.c.days.is_not(None),
            steps.c.to_structure_id.in_(list(structure_ids)),
        )
        .group_by(steps.c.to_structure_id)
    )
    enough = {s for s, n in session.execute(taken) if n >= minimum}
    if not enough:
        return {}
    return {
        row.a: round(float(row.m), MEDIAN_DIGITS)
        for row in session.execute(_median(steps, by_structure=True))
        if row.a in enough
    }


def statistics(session: Session, actor: Actor | None, start: datetime, end: datetime) -> NetworkFigures:
    """Every figure in one statement: the period's steps are read once (a materialised CTE) and each
    section of the answer is one GROUP BY over them."""
    actor = require_actor(actor)
    if not actor.is_coordinator:
        raise NotAllowed("Les statistiques du réseau sont réservées à la coordination.")
    # Brought to UTC here, as every date-time argument (resolvers/pagination.py): an offset that leaves the
    # calendar in UTC is an input error, not an overflow in the driver.
    start, end = checked_instant(start, "from"), checked_instant(end, "to")
    if end <= start:
        raise InvalidInput("to", "to : attendu une date postérieure à « from » (période [from, to))")
    steps = _steps(start, end)
    count = func.count()

    # Per structure, each step is named in SQL by the measure it counts for: where it arrived, or left from.
    arrived = select(
        steps.c.to_structure_id.label("s"),
        case({k.value: m for k, m in _ARRIVED.items()}, value=steps.c.kind).label("measure"),
    ).where(steps.c.kind.in_([k.value for k in _ARRIVED]), steps.c.to_structure_id.is_not(None))
    left = select(
        steps.c.from_structure_id.label("s"),
        case({k.value: m for k, m in _LEFT.items()}, value=steps.c.kind).label("measure"),
    ).where(steps.c.kind.in_([k.value for k in _LEFT]), steps.c.from_structure_id.is_not(None))
    sides = union_all(arrived, left).subquery()

    def reasons(section: str, kind: DossierEventKind, column: str) -> Select[Any]:
        col = steps.c[column]
        return (
            select(*_row(section, label=col, n=count))
            .where(steps.c.kind == kind.value, col.is_not(None))
            .group_by(col)
        )

    sections = union_all(
        select(*_row("network", label=steps.c.kind, n=count)).group_by(steps.c.kind),
        select(*_row("structure", label=sides.c.measure, a=sides.c.s, n=count)).group_by(
            sides.c.s, sides.c.measure
        ),
        select(*_row("waiting", a=Dossier.structure_id, n=count))
        .where(Dossier.status == DossierStatus.ORIENTED.value)
        .group_by(Dossier.structure_id),
        _median(steps, by_structure=False),
        _median(steps, by_structure=True),
        reasons("archive", K.ARCHIVED, "archive_reason"),
        reasons("decline", K.DECLINED, "decline_reason"),
        select(*_row("flow", a=steps.c.from_structure_id, b=steps.c.to_structure_id, n=count))
        .where(
            steps.c.kind == K.REORIENTED.value,
            steps.c.from_structure_id.is_not(None),
            steps.c.to_structure_id.is_not(None),
        )
        .group_by(steps.c.from_structure_id, steps.c.to_structure_id),
    ).subquery()
    # Most frequent first, then by name or id: reasons and flows come out in the order they are shown.
    ordered = select(sections).order_by(
        sections.c.section, sections.c.n.desc(), sections.c.label, sections.c.a, sections.c.b
    )

    figures = NetworkFigures()
    per: dict[int, StructureFigures] = {}

    def of(structure_id: int) -> StructureFigures:
        return per.setdefault(structure_id, StructureFigures(structure_id))

    for section, label, a, b, n, m in session.execute(ordered):
        match section:
            case "network":
                if label in _NETWORK_BY_NAME:
                    setattr(figures, _NETWORK_BY_NAME[label], n)
            case "structure":
                setattr(of(a), label, n)
            case "waiting":
                of(a).waiting_now = n
            case "median":
                figures.median_days_to_take_in_charge = round(float(m), MEDIAN_DIGITS)
            case "median_structure" if a is not None:
                of(a).median_days_to_take_in_charge = round(float(m), MEDIAN_DIGITS)
            case "archive":
                figures.archive_reasons.append((label, n))
            case "decline":
                figures.decline_reasons.append((label, n))
            case "flow":
                figures.flows.append((a, b, n))
    figures.by_structure = [per[k] for k in sorted(per)]
    return figures


@dataclass(frozen=True)
class Statistics:
    figures: NetworkFigures
    structures: dict[int, Structure]  # every structure the figures name, by id


def statistics_with_structures(
    session: Session, actor: Actor | None, start: datetime, end: datetime
) -> Statistics:
    """The figures and, in the same session, the structures they name (one query, not one per name)."""
    figures = statistics(session, actor, start, end)
    ids = {s.structure_id for s in figures.by_structure}
    ids |= {a for a, _, _ in figures.flows} | {b for _, b, _ in figures.flows}
    ordered = sorted(ids)
    rows = structures_by_ids(session, ordered)
    return Statistics(figures, {pk: row for pk, row in zip(ordered, rows, strict=True) if row is not None})
