"""What-if app for the bench: the service as it is, but with validation rules built once per schema.

``uvicorn --factory bench.variant:app_from_env``. Strawberry's ValidationCache keys on the rule classes;
QueryDepthLimiter and MaxAliasesLimiter create a new class per instance, so with per-request factories
(schema/root.py) every request misses the cache and validates the document again. This variant builds
the limiters once and hands their rules to one AddValidationRules, which is the change BENCHMARKS.md
proposes; it exists only to measure that change, and is not used by the service.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette


def app_from_env() -> Starlette:
    from strawberry.extensions import (
        AddValidationRules,
        DisableIntrospection,
        MaxAliasesLimiter,
        MaxTokensLimiter,
        ParserCache,
        QueryDepthLimiter,
        ValidationCache,
    )
    from strawberry.schema.config import StrawberryConfig

    from app import asgi
    from app.settings import Settings, load_settings
    from schema import root
    from schema.extensions import DomainErrors, mask_errors
    from schema.rules import OncePerDocument

    def build_schema(settings: Settings) -> Any:
        rules = [
            *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
            OncePerDocument,
        ]
        extensions: list[Any] = [
            lambda: ParserCache(maxsize=settings.parser_cache_size),
            lambda: ValidationCache(maxsize=settings.parser_cache_size),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: AddValidationRules(rules),
            DomainErrors,
            mask_errors,
        ]
        if settings.is_production:
            extensions.append(DisableIntrospection)
        return root.Schema(
            query=root.Query,
            mutation=root.Mutation,
            extensions=extensions,
            config=StrawberryConfig(disable_field_suggestions=settings.is_production),
        )

    asgi.build_schema = build_schema
    return asgi.create_app(load_settings())
