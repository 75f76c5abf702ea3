"""Dossiers, their history and counts, and the operators' actions on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

import models
from app.context import Context
from models import utcnow
from models.errors import DomainError
from resolvers import dossiers as use_cases
from resolvers import waiting
from resolvers.ids import from_global_id, maybe_global_id, to_global_id
from schema.counts import DossierCounts
from schema.enums import ArchiveReason, DeclineReason, DossierEventKind, DossierStatus, ServiceKind
from schema.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    to_error,
)
from schema.mapping import StructureType
from schema.node import Node, PageInfo, selects

Info = strawberry.Info[Context, None]


async def _structure(info: Info, pk: int | None) -> StructureType | None:
    if pk is None:
        return None
    row = await info.context.loaders.structure.load(pk)
    return StructureType.of(row) if row else None


@strawberry.type
class Beneficiary:
    last_name: str
    first_name: str | None
    commune_code: str | None


@strawberry.type(name="DossierEvent")
class DossierEventType:
    row: strawberry.Private[models.DossierEvent]

    @strawberry.field
    def kind(self) -> DossierEventKind:  # type: ignore[valid-type]
        return models.DossierEventKind(self.row.kind)

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="The operator's display name.")
    def actor(self) -> str | None:
        return self.row.actor_name

    @strawberry.field
    async def from_structure(self, info: Info) -> StructureType | None:
        return await _structure(info, self.row.from_structure_id)

    @strawberry.field
    async def to_structure(self, info: Info) -> StructureType | None:
        return await _structure(info, self.row.to_structure_id)

    @strawberry.field
    def archive_reason(self) -> ArchiveReason | None:  # type: ignore[valid-type]
        return models.ArchiveReason(self.row.archive_reason) if self.row.archive_reason else None

    @strawberry.field
    def decline_reason(self) -> DeclineReason | None:  # type: ignore[valid-type]
        return models.DeclineReason(self.row.decline_reason) if self.row.decline_reason else None

    @strawberry.field
    def note(self) -> str | None:
        return self.row.note


@strawberry.type(
    name="Dossier",
    description="A beneficiary's file. Visible to its structure's operators and coordinators only.",
)
class DossierType(Node):
    row: strawberry.Private[models.Dossier]

    @classmethod
    def of(cls, row: models.Dossier) -> DossierType:
        return cls(id=strawberry.ID(to_global_id("Dossier", row.id)), row=row)

    @strawberry.field(description='Normalised, e.g. "000ysz".')
    def carnet_number(self) -> str:
        return self.row.carnet_number

    @strawberry.field
    def beneficiary(self) -> Beneficiary:
        r = self.row
        return Beneficiary(last_name=r.last_name, first_name=r.first_name, commune_code=r.commune_code)

    @strawberry.field
    def needs(self) -> list[ServiceKind]:  # type: ignore[valid-type]
        return [models.ServiceKind(n) for n in self.row.needs.split(",") if n]

    @strawberry.field
    def status(self) -> DossierStatus:  # type: ignore[valid-type]
        return models.DossierStatus(self.row.status)

    @strawberry.field(description="The structure that holds the dossier.")
    async def structure(self, info: Info) -> StructureType:
        structure = await _structure(info, self.row.structure_id)
        assert structure is not None
        return structure

    @strawberry.field(description="Send it back as expectedVersion to act only on what you saw.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def oriented_at(self) -> datetime:
        return self.row.oriented_at

    @strawberry.field
    def taken_in_charge_at(self) -> datetime | None:
        return self.row.taken_in_charge_at

    @strawberry.field
    def archived_at(self) -> datetime | None:
        return self.row.archived_at

    @strawberry.field
    def archive_reason(self) -> ArchiveReason | None:  # type: ignore[valid-type]
        return models.ArchiveReason(self.row.archive_reason) if self.row.archive_reason else None

    @strawberry.field(description="RETURNED after a decline: the reason the structure gave.")
    def decline_reason(self) -> DeclineReason | None:  # type: ignore[valid-type]
        return models.DeclineReason(self.row.decline_reason) if self.row.decline_reason else None

    @strawberry.field(description="Whole days since it entered its current status.")
    def days_in_status(self) -> int:
        return waiting.days_in_status(self.row.status_since, utcnow())

    @strawberry.field(
        description="ORIENTED for longer than the reminder delay (AIGUILLAGE_REMIND_AFTER_DAYS): the dossiers "
        "dossierCounts.overdue counts. Always false in the other statuses."
    )
    def overdue(self, info: Info) -> bool:
        return waiting.is_overdue(
            self.row.status, self.row.status_since, utcnow(), info.context.settings.remind_after_days
        )

    @strawberry.field(
        description="ORIENTED only: when it returns to the coordinators if nobody takes it in charge "
        "(null when expiry is off)."
    )
    def expires_at(self, info: Info) -> datetime | None:
        return waiting.expires_at(
            self.row.status, self.row.status_since, info.context.settings.expire_after_days
        )

    @strawberry.field(description="Oldest first.")
    async def history(self, info: Info) -> list[DossierEventType]:
        events = await info.context.loaders.dossier_events.load(self.row.id)
        return [DossierEventType(row=e) for e in events]


@strawberry.type
class DossierEdge:
    cursor: str
    node: DossierType


@strawberry.type
class DossierConnection:
    edges: list[DossierEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class DossierPayload:
    dossier: DossierType


DossierResult = Annotated[
    DossierPayload
    | NotAllowedError
    | NotFoundError
    | InvalidTransitionError
    | InvalidInputError
    | ConflictError
    | RateLimitedError
    | UnavailableError,
    strawberry.union("DossierResult"),
]


@strawberry.input
class OrientBeneficiaryInput:
    carnet_number: str = strawberry.field(description='Three digits then three letters, e.g. "000ysz".')
    last_name: str
    first_name: str | None = None
    commune_code: str | None = strawberry.field(default=None, description="INSEE code; no street address.")
    needs: list[ServiceKind] | None = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    to_structure_id: strawberry.ID
    note: str | None = None


@strawberry.type
class DossierQuery:
    @strawberry.field(
        description="One tab of the caller's structure (all structures for a coordinator), newest activity first."
    )
    async def dossiers(
        self,
        info: Info,
        status: DossierStatus,  # type: ignore[valid-type]
        search: str | None = None,
        first: int | None = 50,
        after: str | None = None,
        min_days_in_status: int | None = None,
    ) -> DossierConnection:
        ctx = info.context
        page = await ctx.read(
            use_cases.list_dossiers,
            ctx.actor,
            status,
            search,
            first,
            after,
            ctx.settings.page_size_max,
            selects(info, "totalCount"),
            min_days_in_status,
        )
        edges = [
            DossierEdge(cursor=c, node=DossierType.of(r))
            for r, c in zip(page.items, page.cursors, strict=True)
        ]
        return DossierConnection(
            edges=edges,
            page_info=PageInfo.of(page),
            total_count=page.total or 0,
        )

    @strawberry.field(description="The counts of the three tabs of the caller's structure.")
    async def dossier_counts(self, info: Info) -> DossierCounts:
        ctx = info.context
        return DossierCounts.of(
            await ctx.read(use_cases.counts_for, ctx.actor, ctx.settings.remind_after_days)
        )

    @strawberry.field(description="Null when missing or not visible to the caller.")
    async def dossier(self, info: Info, id: strawberry.ID) -> DossierType | None:
        actor = use_cases.require_actor(info.context.actor)
        pk = maybe_global_id(id, "Dossier")
        if pk is None:
            return None
        row = await info.context.read(use_cases.get_visible_dossier, actor, pk)
        return DossierType.of(row) if row else None


async def _act(info: Info, fn: Callable[..., models.Dossier], *args: Any) -> DossierResult:
    try:
        row = await info.context.write(fn, info.context.actor, *args)
    except DomainError as exc:
        return to_error(exc)
    return DossierPayload(dossier=DossierType.of(row))


def _pk(value: strawberry.ID, type_name: str, field: str) -> int:
    return from_global_id(value, type_name, field)


@strawberry.type
class DossierMutation:
    @strawberry.mutation(
        description="Orient a new beneficiary to a member structure. "
        "A carnet already known counts as a failed try of the retrieval limits."
    )
    async def orient_beneficiary(self, info: Info, input: OrientBeneficiaryInput) -> DossierResult:
        settings = info.context.settings
        try:
            data = use_cases.OrientInput(
                carnet_number=input.carnet_number,
                last_name=input.last_name,
                first_name=input.first_name,
                commune_code=input.commune_code,
                needs=list(input.needs or []),
                to_structure_id=_pk(input.to_structure_id, "Structure", "input.toStructureId"),
                note=input.note,
            )
        except DomainError as exc:
            return to_error(exc)
        return await _act(
            info,
            use_cases.orient,
            data,
            settings.carnet_pattern,
            settings.carnet_example,
            info.context.services.limiter,
        )

    @strawberry.mutation(description="« J'indique que le.a bénéficiaire est pris.e en charge ».")
    async def take_in_charge(
        self, info: Info, dossier_id: strawberry.ID, expected_version: int | None = None
    ) -> DossierResult:
        try:
            pk = _pk(dossier_id, "Dossier", "dossierId")
        except DomainError as exc:
            return to_error(exc)
        return await _act(info, use_cases.take_in_charge, pk, expected_version)

    @strawberry.mutation(description="« Je le.a réoriente vers une autre structure opératrice ».")
    async def reorient_dossier(
        self,
        info: Info,
        dossier_id: strawberry.ID,
        to_structure_id: strawberry.ID,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> DossierResult:
        try:
            pk = _pk(dossier_id, "Dossier", "dossierId")
            target = _pk(to_structure_id, "Structure", "toStructureId")
        except DomainError as exc:
            return to_error(exc)
        return await _act(info, use_cases.reorient, pk, target, note, expected_version)

    @strawberry.mutation(description="« J'archive le dossier », with a reason.")
    async def archive_dossier(
        self,
        info: Info,
        dossier_id: strawberry.ID,
        reason: ArchiveReason,  # type: ignore[valid-type]
        note: str | None = None,
        expected_version: int | None = None,
    ) -> DossierResult:
        try:
            pk = _pk(dossier_id, "Dossier", "dossierId")
        except DomainError as exc:
            return to_error(exc)
        return await _act(info, use_cases.archive, pk, reason, note, expected_version)

    @strawberry.mutation(
        description="The structure an ORIENTED dossier was sent to gives it back to the coordinators, with a reason."
    )
    async def decline_dossier(
        self,
        info: Info,
        dossier_id: strawberry.ID,
        reason: DeclineReason,  # type: ignore[valid-type]
        note: str | None = None,
        expected_version: int | None = None,
    ) -> DossierResult:
        try:
            pk = _pk(dossier_id, "Dossier", "dossierId")
        except DomainError as exc:
            return to_error(exc)
        return await _act(info, use_cases.decline, pk, reason, note, expected_version)

    @strawberry.mutation(
        description="« Je récupère son dossier » by NAME + N° CARNET. Once per request; failed tries are limited."
    )
    async def claim_dossier(
        self, info: Info, beneficiary_last_name: str, carnet_number: str
    ) -> DossierResult:
        settings = info.context.settings
        return await _act(
            info,
            use_cases.claim,
            beneficiary_last_name,
            carnet_number,
            info.context.services.limiter,
            settings.carnet_pattern,
            settings.carnet_example,
            settings.claim_cooldown_seconds,
        )
