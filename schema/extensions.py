"""Schema extensions: hardening limits and the single place where errors are shown or masked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from models.errors import DomainError, InvalidInput, RateLimited, Unavailable
from schema.execution import PlainFieldsExecution

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
            if isinstance(domain, RateLimited | Unavailable):
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


# ---------- validation, and no suggestions in production ----------
#
# graphql-core 3.3 can leave out every "Did you mean …?" (fields, arguments, enum values, input fields, type
# names) when validation and execution are called with ``hide_suggestions``; Strawberry 0.341 calls neither
# with it (its ``disable_field_suggestions`` trims field suggestions only). These two pass it.


class DocumentKey:
    """A document as a cache key: equal and hashed by its query's text (a string keeps its hash), which the
    parser cache maps to that one document. Hashing the document itself walks every node (~0.1 ms for
    nearby's query), on every request."""

    __slots__ = ("document", "text")

    def __init__(self, text: str | None, document: DocumentNode) -> None:
        self.text: str | DocumentNode = document if text is None else text
        self.document = document

    def __hash__(self) -> int:
        return hash(self.text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DocumentKey) and self.text == other.text


def validation_cache(maxsize: int, hide_suggestions: bool) -> Callable[[], SchemaExtension]:
    """Strawberry's ValidationCache, with Strawberry's own rules, and without suggestions when asked."""

    @lru_cache(maxsize=maxsize)
    def cached(schema: GraphQLSchema, key: DocumentKey, rules: tuple[Any, ...]) -> list[GraphQLError]:
        all_rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
        return validate(schema, key.document, all_rules, hide_suggestions=hide_suggestions)

    class Validation(SchemaExtension):
        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            assert context.graphql_document is not None
            context.pre_execution_errors = cached(
                context.schema._schema,
                DocumentKey(context.query, context.graphql_document),
                tuple(context.validation_rules),
            )
            yield

    return Validation


class NoSuggestionsExecution(PlainFieldsExecution):
    """Execution (variables' coercion: enum values, input fields) without suggestions."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)
