"""Network statistics for coordinators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.context import Context
from resolvers import statistics as use_cases
from schema.mapping import StructureType

Info = strawberry.Info[Context, None]


async def _structure(info: Info, pk: int) -> StructureType:
    row = await info.context.loaders.structure.load(pk)
    assert row is not None, "statistics name structures by foreign key"
    return StructureType.of(row)


@strawberry.type
class ReasonCount:
    reason: str = strawberry.field(description="The ArchiveReason or DeclineReason name.")
    count: int


@strawberry.type
class ReorientationFlow:
    from_id: strawberry.Private[int]
    to_id: strawberry.Private[int]
    count: int

    @strawberry.field(name="from")
    async def from_(self, info: Info) -> StructureType:
        return await _structure(info, self.from_id)

    @strawberry.field
    async def to(self, info: Info) -> StructureType:
        return await _structure(info, self.to_id)


@strawberry.type
class StructureStatistics:
    row: strawberry.Private[use_cases.StructureFigures]

    @strawberry.field
    async def structure(self, info: Info) -> StructureType:
        return await _structure(info, self.row.structure_id)

    @strawberry.field(description="Dossiers oriented or reoriented to it.")
    def oriented(self) -> int:
        return self.row.oriented

    @strawberry.field
    def taken_in_charge(self) -> int:
        return self.row.taken_in_charge

    @strawberry.field(
        description="Dossiers it reoriented to another structure (or a coordinator did, from it)."
    )
    def reoriented_away(self) -> int:
        return self.row.reoriented_away

    @strawberry.field
    def archived(self) -> int:
        return self.row.archived

    @strawberry.field
    def declined(self) -> int:
        return self.row.declined

    @strawberry.field
    def expired(self) -> int:
        return self.row.expired

    @strawberry.field(description="Its ORIENTED dossiers now, whatever the period.")
    def waiting_now(self) -> int:
        return self.row.waiting_now

    @strawberry.field(description="Over its takings in charge in the period; null when there were none.")
    def median_days_to_take_in_charge(self) -> float | None:
        return self.row.median_days_to_take_in_charge


@strawberry.type(description="Events in [from, to), purged (anonymised) dossiers included.")
class NetworkStatistics:
    row: strawberry.Private[use_cases.NetworkFigures]

    @strawberry.field(description="New beneficiaries oriented.")
    def oriented(self) -> int:
        return self.row.oriented

    @strawberry.field
    def taken_in_charge(self) -> int:
        return self.row.taken_in_charge

    @strawberry.field
    def reoriented(self) -> int:
        return self.row.reoriented

    @strawberry.field
    def archived(self) -> int:
        return self.row.archived

    @strawberry.field
    def declined(self) -> int:
        return self.row.declined

    @strawberry.field
    def expired(self) -> int:
        return self.row.expired

    @strawberry.field
    def claimed(self) -> int:
        return self.row.claimed

    @strawberry.field(
        description="Days from the last orientation to the taking in charge, median over the period's takings "
        "in charge; null when there were none."
    )
    def median_days_to_take_in_charge(self) -> float | None:
        return self.row.median_days_to_take_in_charge

    @strawberry.field(description="reason = ArchiveReason name; most frequent first.")
    def archive_reasons(self) -> list[ReasonCount]:
        return [ReasonCount(reason=r, count=n) for r, n in self.row.archive_reasons]

    @strawberry.field(description="reason = DeclineReason name; most frequent first.")
    def decline_reasons(self) -> list[ReasonCount]:
        return [ReasonCount(reason=r, count=n) for r, n in self.row.decline_reasons]

    @strawberry.field(description="Structures with events in the period or dossiers waiting now, by id.")
    def by_structure(self) -> list[StructureStatistics]:
        return [StructureStatistics(row=s) for s in self.row.by_structure]

    @strawberry.field(description="Reorientations between two structures; largest first.")
    def flows(self) -> list[ReorientationFlow]:
        return [ReorientationFlow(from_id=a, to_id=b, count=n) for a, b, n in self.row.flows]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="Coordinators only: the network's figures for events in [from, to).")
    async def statistics(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> NetworkStatistics:
        figures = await info.context.read(use_cases.statistics, info.context.actor, from_, to)
        return NetworkStatistics(row=figures)
