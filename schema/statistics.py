"""Network statistics for coordinators.

The figures and the structures they name are read in one session, then served from plain fields: a
statistics answer has thousands of fields (a structure per line, two per flow), and a resolver or a loader
call per field would cost more than the SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.context import Context
from resolvers import statistics as use_cases
from schema.mapping import StructureType

Info = strawberry.Info[Context, None]


@strawberry.type
class ReasonCount:
    reason: str = strawberry.field(description="The ArchiveReason or DeclineReason name.")
    count: int


@strawberry.type
class ReorientationFlow:
    from_: StructureType = strawberry.field(name="from")
    to: StructureType
    count: int


@strawberry.type
class StructureStatistics:
    structure: StructureType
    oriented: int = strawberry.field(description="Dossiers oriented or reoriented to it.")
    taken_in_charge: int
    reoriented_away: int = strawberry.field(
        description="Dossiers it reoriented to another structure (or a coordinator did, from it)."
    )
    archived: int
    declined: int
    expired: int
    waiting_now: int = strawberry.field(description="Its ORIENTED dossiers now, whatever the period.")
    median_days_to_take_in_charge: float | None = strawberry.field(
        description="Over its takings in charge in the period; null when there were none."
    )


@strawberry.type(description="Events in [from, to), purged (anonymised) dossiers included.")
class NetworkStatistics:
    oriented: int = strawberry.field(description="New beneficiaries oriented.")
    taken_in_charge: int
    reoriented: int
    archived: int
    declined: int
    expired: int
    claimed: int
    median_days_to_take_in_charge: float | None = strawberry.field(
        description="Days from the last orientation to the taking in charge, median over the period's takings "
        "in charge; null when there were none."
    )
    archive_reasons: list[ReasonCount] = strawberry.field(
        description="reason = ArchiveReason name; most frequent first."
    )
    decline_reasons: list[ReasonCount] = strawberry.field(
        description="reason = DeclineReason name; most frequent first."
    )
    by_structure: list[StructureStatistics] = strawberry.field(
        description="Structures with events in the period or dossiers waiting now, by id."
    )
    flows: list[ReorientationFlow] = strawberry.field(
        description="Reorientations between two structures; largest first."
    )

    @classmethod
    def of(cls, found: use_cases.Statistics) -> NetworkStatistics:
        f = found.figures
        cards = {pk: StructureType.of(row) for pk, row in found.structures.items()}
        return cls(
            oriented=f.oriented,
            taken_in_charge=f.taken_in_charge,
            reoriented=f.reoriented,
            archived=f.archived,
            declined=f.declined,
            expired=f.expired,
            claimed=f.claimed,
            median_days_to_take_in_charge=f.median_days_to_take_in_charge,
            archive_reasons=[ReasonCount(reason=r, count=n) for r, n in f.archive_reasons],
            decline_reasons=[ReasonCount(reason=r, count=n) for r, n in f.decline_reasons],
            by_structure=[
                StructureStatistics(
                    structure=cards[s.structure_id],
                    oriented=s.oriented,
                    taken_in_charge=s.taken_in_charge,
                    reoriented_away=s.reoriented_away,
                    archived=s.archived,
                    declined=s.declined,
                    expired=s.expired,
                    waiting_now=s.waiting_now,
                    median_days_to_take_in_charge=s.median_days_to_take_in_charge,
                )
                for s in f.by_structure
            ],
            flows=[ReorientationFlow(from_=cards[a], to=cards[b], count=n) for a, b, n in f.flows],
        )


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="Coordinators only: the network's figures for events in [from, to).")
    async def statistics(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> NetworkStatistics:
        found = await info.context.read(use_cases.statistics_with_structures, info.context.actor, from_, to)
        return NetworkStatistics.of(found)
