"""graphql-core's executor, with plain fields read directly.

Most fields of an answer are plain attributes of the objects our resolvers build (an edge's ``cursor``, an
offering's ``kind``, a point's ``latitude``): Strawberry resolves them with ``getattr`` and no argument. For each
of them graphql-core still builds a resolve info, looks for arguments, calls Strawberry's wrapper, and walks
``complete_value``; on nearby's page of 20 that was most of the execution (BENCHMARKS.md, issue 11, target 2).

``PlainFieldsExecution.execute_field`` reads such a field itself when it is a scalar or an enum, or an object
type without an ``is_type_of`` check: the attribute, then the type's own ``coerce_output_value``, or the
sub-selection. Anything unusual (a null, an exception, a value the type refuses, a middleware) goes the
standard way, which produces the very same errors as before: only the ordinary case is shortened.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


class PlainField(NamedTuple):
    """How to read a plain field: its attribute, and its type without the non-null wrapper."""

    attribute: str
    type: GraphQLOutputType
    leaf: GraphQLLeafType | None
    object: GraphQLObjectType | None


def _plain_field(field: GraphQLField) -> PlainField | None:
    """The reading of a field that Strawberry resolves with ``getattr`` alone, else None."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or field.args
        or not getattr(field.resolve, "_is_default", False)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
        or not definition.python_name
    ):
        return None
    nullable = get_nullable_type(field.type)
    if is_leaf_type(nullable):
        return PlainField(definition.python_name, field.type, nullable, None)
    if is_object_type(nullable) and nullable.is_type_of is None:
        return PlainField(definition.python_name, field.type, None, nullable)
    return None


_PLANS: dict[int, tuple[GraphQLSchema, dict[tuple[str, str], PlainField]]] = {}


def plain_fields(schema: GraphQLSchema) -> dict[tuple[str, str], PlainField]:
    """The plain fields of a schema by (type, field) name, found once per schema."""
    known = _PLANS.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    plans = {
        (name, field_name): plan
        for name, type_ in schema.type_map.items()
        if isinstance(type_, GraphQLObjectType)
        for field_name, field in type_.fields.items()
        if (plan := _plain_field(field)) is not None
    }
    _PLANS[id(schema)] = (schema, plans)
    return plans


class PlainFieldsExecution(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self.plain = {} if manager is not None and manager.middlewares else plain_fields(self.schema)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        plan = self.plain.get((parent_type.name, field_details_list[0].node.name.value))
        if plan is None:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        try:
            value = getattr(source, plan.attribute)
        except Exception:  # the standard way below reports it, as before
            value = None
        if value is None or isinstance(value, Exception):
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        if plan.leaf is not None:
            try:
                coerced = plan.leaf.coerce_output_value(value)
            except Exception:  # the standard way below reports it, as before
                coerced = None
            if coerced is None or coerced is Undefined:
                return super().execute_field(parent_type, source, field_details_list, path, position_context)
            return coerced
        # An object type without is_type_of: completing it reads no resolve info. Errors of its fields are
        # handled as execute_field handles them (a non-null field's error propagates, else null).
        try:
            completed = self.complete_object_value(
                plan.object,  # type: ignore[arg-type]
                field_details_list,
                None,  # type: ignore[arg-type]
                path,
                value,
                position_context,
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, plan.type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._await_object(completed, plan.type, field_details_list, path)
        return completed

    async def _await_object(
        self, completed: Any, return_type: Any, field_details_list: Any, path: Any
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
