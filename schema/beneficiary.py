"""The beneficiary's own status: public, by name + carnet, limited per client address."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.context import Context
from models.errors import DomainError, InvalidInput
from resolvers import beneficiary as use_cases
from schema.errors import (
    DossierStatus,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    to_error,
)
from schema.mapping import StructureType

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="Where a beneficiary's dossier is: its status and the holding place, nothing else."
)
class BeneficiaryStatus:
    status: DossierStatus  # type: ignore[valid-type]
    structure_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The holding place's public card; null while the dossier waits for a new place."
    )
    async def structure(self, info: Info) -> StructureType | None:
        if self.structure_id is None:
            return None
        row = await info.context.loaders.structure.load(self.structure_id)
        return StructureType.of(row) if row else None


BeneficiaryStatusResult = Annotated[
    BeneficiaryStatus | NotFoundError | InvalidInputError | RateLimitedError | UnavailableError,
    strawberry.union("BeneficiaryStatusResult"),
]


def client_address(info: Info) -> str:
    """The caller's address as the server sees it (behind a proxy: run uvicorn with --proxy-headers)."""
    request = info.context.request
    client = getattr(request, "client", None)
    return client.host if client is not None else "unknown"


@strawberry.type
class BeneficiaryQuery:
    @strawberry.field(
        description="Public: a beneficiary's status by last name + carnet. POST only, once per request; a wrong "
        "name and an unknown carnet give the same NotFoundError; failures are limited per client address."
    )
    async def beneficiary_status(
        self, info: Info, last_name: str, carnet_number: str
    ) -> BeneficiaryStatusResult:
        ctx = info.context
        try:
            if getattr(ctx.request, "method", "POST") != "POST":
                raise InvalidInput(
                    None,
                    "beneficiaryStatus : envoyez la requête en POST (un nom et un numéro de carnet ne doivent "
                    "pas figurer dans une URL).",
                )
            found = await ctx.read(
                use_cases.beneficiary_status,
                last_name,
                carnet_number,
                ctx.services.limiter,
                client_address(info),
                ctx.settings.carnet_pattern,
                ctx.settings.carnet_example,
            )
        except DomainError as exc:
            error = to_error(exc)
            assert isinstance(error, NotFoundError | InvalidInputError | RateLimitedError | UnavailableError)
            return error
        return BeneficiaryStatus(status=found.status, structure_id=found.structure_id)
