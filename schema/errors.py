"""Typed errors of mutations (expected failures are data), and the one mapping from domain errors."""

from __future__ import annotations

import strawberry

from models import errors as domain
from schema.enums import DossierStatus, ErrorCode


@strawberry.interface(description="An expected failure; the message is meant for the operator (in French).")
class Error:
    code: ErrorCode
    message: str


@strawberry.type(
    description="Not allowed; also used, with code UNAUTHENTICATED, when no valid token was sent."
)
class NotAllowedError(Error):
    pass


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class InvalidTransitionError(Error):
    current_status: DossierStatus  # type: ignore[valid-type]


@strawberry.type
class InvalidInputError(Error):
    field: str | None = strawberry.field(description="The input field at fault, e.g. input.carnetNumber.")


@strawberry.type(description="A stale expectedVersion, or a carnet number already known.")
class ConflictError(Error):
    pass


@strawberry.type
class RateLimitedError(Error):
    retry_after_seconds: int


@strawberry.type(
    description="« Service momentanément indisponible »: a part the answer needs does not answer; nothing was done."
)
class UnavailableError(Error):
    retry_after_seconds: int


AnyError = (
    NotAllowedError
    | NotFoundError
    | InvalidTransitionError
    | InvalidInputError
    | ConflictError
    | RateLimitedError
    | UnavailableError
)


def to_error(exc: domain.DomainError) -> AnyError:
    code = ErrorCode(exc.code)
    match exc:
        case domain.InvalidTransition():
            return InvalidTransitionError(code=code, message=exc.message, current_status=exc.current)
        case domain.InvalidInput():
            return InvalidInputError(code=code, message=exc.message, field=exc.field)
        case domain.RateLimited():
            return RateLimitedError(
                code=code, message=exc.message, retry_after_seconds=exc.retry_after_seconds
            )
        case domain.Unavailable():
            return UnavailableError(
                code=code, message=exc.message, retry_after_seconds=exc.retry_after_seconds
            )
        case domain.NotFound():
            return NotFoundError(code=code, message=exc.message)
        case domain.Conflict():
            return ConflictError(code=code, message=exc.message)
        case _:
            return NotAllowedError(code=code, message=exc.message)
