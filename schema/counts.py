"""The dossier counts of the three tabs, for the caller's structure or for one structure."""

from __future__ import annotations

import strawberry

from app.context import Context
from resolvers import dossiers as use_cases

Info = strawberry.Info[Context, None]


@strawberry.type
class DossierCounts:
    oriented: int
    taken_in_charge: int
    archived: int
    returned: int = strawberry.field(
        description="The coordinators' queue « À réorienter » (0 for an operator)."
    )
    overdue: int = strawberry.field(description="ORIENTED for longer than the reminder delay.")

    @classmethod
    def of(cls, counts: use_cases.Counts) -> DossierCounts:
        return cls(
            oriented=counts.oriented,
            taken_in_charge=counts.taken_in_charge,
            archived=counts.archived,
            returned=counts.returned,
            overdue=counts.overdue,
        )


async def structure_dossier_counts(info: Info, structure_id: int) -> DossierCounts | None:
    if not use_cases.can_see_counts(info.context.actor, structure_id):
        return None
    counts = await info.context.loaders.dossier_counts.load(structure_id)
    result = DossierCounts.of(counts)
    actor = info.context.actor
    if actor is None or not actor.is_coordinator:
        result.returned = 0
    return result
