"""Schema extensions: hardening limits and the single place where errors are shown or masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from models.errors import DomainError, InvalidInput, RateLimited

log = logging.getLogger("aiguillage.graphql")


def _domain_error(error: GraphQLError) -> DomainError | None:
    original = error.original_error
    return original if isinstance(original, DomainError) else None


class DomainErrors(SchemaExtension):
    """Expected failures raised by queries become GraphQL errors with ``extensions.code`` (and ``field``)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        for error in result.errors:
            domain = _domain_error(error)
            if domain is None:
                continue
            extensions = dict(error.extensions or {})
            extensions["code"] = domain.code
            if isinstance(domain, InvalidInput) and domain.field:
                extensions["field"] = domain.field
            if isinstance(domain, RateLimited):
                extensions["retryAfterSeconds"] = domain.retry_after_seconds
            error.message = domain.message
            error.extensions = extensions


def should_mask(error: GraphQLError) -> bool:
    """Mask bugs, not validation errors or expected failures. Bugs are logged with their trace, once."""
    original = error.original_error
    if original is None or isinstance(original, DomainError):
        return False
    if isinstance(original, GraphQLError) and original.original_error is None:
        return False
    log.error("unexpected error in %s", ".".join(str(p) for p in error.path or []), exc_info=original)
    return True


def mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=should_mask, error_message="Erreur inattendue du serveur.")
