"""The Schema: root types merged from each domain, and its extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError, validate
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from app.settings import Settings
from schema.beneficiary import BeneficiaryQuery
from schema.dossiers import DossierMutation, DossierQuery
from schema.execution import PlainFieldsExecution
from schema.extensions import DomainErrors, NoSuggestionsExecution, mask_errors, validation_cache
from schema.mapping import MappingMutation, MappingQuery
from schema.operators import OperatorQuery
from schema.request_checks import DocumentChecks, RequestChecks
from schema.rules import OncePerDocument
from schema.statistics import StatisticsQuery
from schema.suggestions import SuggestionQuery

Query = merge_types(
    "Query", (MappingQuery, OperatorQuery, DossierQuery, SuggestionQuery, BeneficiaryQuery, StatisticsQuery)
)
Mutation = merge_types("Mutation", (DossierMutation, MappingMutation))


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Bugs are logged once, by schema.extensions.should_mask; client errors are not worth a log line
        # (and a log line must never carry a beneficiary's name).
        return None


def build_schema(settings: Settings) -> Schema:
    # Validation rules are built once: the validation cache is keyed by them, so rules made afresh per
    # request would never hit it. Extensions are factories, built per request (their caches stay shared:
    # parsing, validation and what the request checks learn from a document are done once per query text).
    documents = DocumentChecks(settings)
    rules = (
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        OncePerDocument,
    )
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: ParserCache(maxsize=settings.parser_cache_size),
        validation_cache(settings.parser_cache_size, hide_suggestions=settings.is_production),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(list(rules)),
        lambda: RequestChecks(settings, documents),
        DomainErrors,
        mask_errors,
    ]
    if settings.is_production:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=NoSuggestionsExecution if settings.is_production else PlainFieldsExecution,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
    )


def export_sdl() -> str:
    """The schema as committed in schema.graphql (independent of settings)."""
    from app.settings import load_settings

    return build_schema(load_settings(environment="development")).as_str() + "\n"


__all__ = ["build_schema", "export_sdl", "validate"]
