"""Dossiers, their history and counts, and the operators' actions on them."""

from __future__ import annotations

import strawberry

from app.context import Context

Info = strawberry.Info[Context, None]


@strawberry.type
class DossierCounts:
    oriented: int
    taken_in_charge: int
    archived: int


async def structure_dossier_counts(info: Info, structure_id: int) -> DossierCounts | None:
    return None


@strawberry.type
class DossierQuery:
    @strawberry.field
    def dossier_counts(self, info: Info) -> DossierCounts:
        raise NotImplementedError


@strawberry.type
class DossierMutation:
    @strawberry.mutation
    def noop(self) -> bool:
        return True
