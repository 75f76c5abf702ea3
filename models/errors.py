"""Domain errors: expected failures, mapped to responses once per edge (schema/errors.py for GraphQL)."""

from __future__ import annotations

from models.enums import DossierStatus


class DomainError(Exception):
    """An expected failure; its message is shown to the user (in French)."""

    code = "INVALID_INPUT"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class NotAllowed(DomainError):
    code = "NOT_ALLOWED"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class InvalidInput(DomainError):
    code = "INVALID_INPUT"

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"

    def __init__(self, current: DossierStatus, message: str) -> None:
        super().__init__(message)
        self.current = current


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int, message: str) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(DomainError):
    """A part the answer needs (Redis, which counts the rate limits) does not answer: nothing was done."""

    code = "UNAVAILABLE"

    def __init__(self, message: str, retry_after_seconds: int = 30) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class TooManyFeatures(InvalidInput):
    """A map request matching more places than one answer may carry: an input error on ``bbox``."""

    def __init__(self, matched: int, limit: int) -> None:
        super().__init__(
            "bbox",
            f"{matched} lieux correspondent, au plus {limit} par requête : zoomez sur la carte "
            "(bbox plus petite) ou filtrez par kinds",
        )
        self.matched = matched
        self.limit = limit
