"""Reorientation suggestions: the best nearby member structures for a dossier's needs."""

from __future__ import annotations

import strawberry

from app.context import Context
from geo.nearby import SUGGESTIONS_RADIUS_KM
from resolvers import suggestions as suggestion_queries
from resolvers.dossiers import require_actor
from resolvers.ids import from_global_id
from schema.enums import ServiceKind
from schema.mapping import StructureType

Info = strawberry.Info[Context, None]


@strawberry.type(description="A member structure to reorient a beneficiary to, and why it ranks there.")
class StructureSuggestion:
    structure: StructureType
    distance_km: float
    matched_kinds: list[ServiceKind]  # type: ignore[valid-type]
    missing_kinds: list[ServiceKind]  # type: ignore[valid-type]
    score: float = strawberry.field(
        description="Higher is better; the list is sorted by it. 100 × share of the needs covered "
        "+ 10 × (1 − distance / radius) + 1 if it accepts carnets − 10 × load (waiting dossiers and median days "
        "to take in charge, at most 10: less than one more need covered)."
    )
    reasons: list[str] = strawberry.field(
        description='Human-readable, in French, e.g. "à 3,2 km", "propose : Aide aux démarches administratives", '
        '"12 dossiers en attente", "prend en charge en 4 jours (médiane)".'
    )
    waiting_dossiers: int = strawberry.field(description="Its ORIENTED dossiers now.")
    median_days_to_take_in_charge: float | None = strawberry.field(
        description="Over its last 90 days; null below 5 dossiers taken in charge."
    )

    @classmethod
    def of(cls, s: suggestion_queries.Suggestion) -> StructureSuggestion:
        return cls(
            structure=StructureType.of(s.structure),
            distance_km=s.distance_km,
            matched_kinds=s.matched,
            missing_kinds=s.missing,
            score=s.score,
            reasons=s.reasons,
            waiting_dossiers=s.waiting,
            median_days_to_take_in_charge=s.median_days,
        )


@strawberry.type
class SuggestionQuery:
    @strawberry.field(
        description="Nearby member structures for the dossier's needs (or `kinds`), best first; never the "
        "structure holding it. Only that structure's operators and coordinators may ask."
    )
    async def reorientation_suggestions(
        self,
        info: Info,
        dossier_id: strawberry.ID,
        kinds: list[ServiceKind] | None = None,  # type: ignore[valid-type]
        radius_km: float | None = SUGGESTIONS_RADIUS_KM,
        first: int | None = 10,
    ) -> list[StructureSuggestion]:
        settings = info.context.settings
        # Anonymous callers learn nothing, not even that the id is malformed.
        require_actor(info.context.actor)
        pk = from_global_id(dossier_id, "Dossier", "dossierId")
        rows = await info.context.read(
            suggestion_queries.reorientation_suggestions,
            info.context.actor,
            pk,
            kinds,
            SUGGESTIONS_RADIUS_KM if radius_km is None else radius_km,
            first,
            max_radius_km=settings.nearby_max_radius_km,
            cap=settings.page_size_max,
        )
        return [StructureSuggestion.of(s) for s in rows]
