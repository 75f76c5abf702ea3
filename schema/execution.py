"""graphql-core's executor, with plain fields read directly.

Most fields of an answer are plain attributes of the objects our resolvers build (an edge's ``cursor``, an
offering's ``kind``, a point's ``latitude``): Strawberry resolves them with ``getattr`` and no argument. For each
of them graphql-core still builds a resolve info, looks for arguments, calls Strawberry's wrapper, and walks
``complete_value``; on nearby's page of 20 that was most of the execution (BENCHMARKS.md, issue 11, target 2).

``PlainFieldsExecution`` reads such fields itself (no resolver, argument, field extension or middleware): a
scalar or an enum through its type's own coercion (or as it is: a ``str``, a ``bool``, a finite ``float``, an
enum member's name), and an object whose selected fields are all plain, nested objects included, straight into
its answer, provided its type has no ``is_type_of`` of its own (Strawberry's reads no resolve info). Anything
unusual (a null where none is allowed, an exception, a value the type refuses, ``@defer``, a field that is not
plain) goes the standard way, which produces the very same answer and errors as before: reading has no effect,
so nothing is resolved twice.
"""

from __future__ import annotations

from math import isfinite
from typing import Any, NamedTuple

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField


class PlainField(NamedTuple):
    """How to read a plain field: its attribute, its type, and that type without the non-null wrapper."""

    attribute: str
    type: GraphQLOutputType
    non_null: bool
    leaf: GraphQLLeafType | None
    object: GraphQLObjectType | None
    # The leaf's own values, returned as they are: what coerce_output_value returns for them (a finite float,
    # a str, a bool), or an enum member's name (Strawberry's enum types look it up member by member).
    same: Any = None
    names: dict[Any, str] | None = None
    members: Any = None


def reads_no_info(object_type: GraphQLObjectType) -> bool:
    """Whether the type's is_type_of (if any) ignores its resolve info: none, or the one Strawberry writes
    (an isinstance check) when the type defines none of its own."""
    if object_type.is_type_of is None:
        return True
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return isinstance(definition, StrawberryObjectDefinition) and definition.is_type_of is None


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
    non_null = is_non_null_type(field.type)
    if is_leaf_type(nullable):
        same: Any = {
            id(GraphQLFloat): float,
            id(GraphQLString): str,
            id(GraphQLBoolean): bool,
            id(GraphQLID): str,
        }
        names: dict[Any, str] | None = None
        members: Any = None
        if isinstance(nullable, CustomGraphQLEnumType):
            members, names = nullable.wrapped_cls, {}
            for member in members:
                name = next((n for n, v in nullable.values.items() if member.value == v.value), None)
                if name is not None:
                    names[member] = name
        kind = same.get(id(nullable))
        return PlainField(definition.python_name, field.type, non_null, nullable, None, kind, names, members)
    if is_object_type(nullable) and reads_no_info(nullable):
        return PlainField(definition.python_name, field.type, non_null, None, nullable)
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


class _NotPlain(Exception):
    """Raised inside the direct reading: that object goes the standard way."""


def _leaf(plan: PlainField, value: Any) -> Any:
    """The coerced value of a plain leaf, or _NotPlain for anything but the ordinary case."""
    if value is None or isinstance(value, Exception):
        raise _NotPlain
    if plan.same is not None and type(value) is plan.same and (plan.same is not float or isfinite(value)):
        return value
    if plan.names is not None and isinstance(value, plan.members):
        name = plan.names.get(value)
        if name is not None:
            return name
    try:
        coerced = plan.leaf.coerce_output_value(value)  # type: ignore[union-attr]
    except Exception as error:
        raise _NotPlain from error
    if coerced is None or coerced is Undefined:
        raise _NotPlain
    return coerced


class PlainFieldsExecution(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self.plain = {} if manager is not None and manager.middlewares else plain_fields(self.schema)

    def _read(self, object_type: GraphQLObjectType, field_details_list: Any, source: Any) -> dict[str, Any]:
        """An object whose selected fields are all plain (nested objects too), read directly; _NotPlain when
        one is not, or when a value is not ordinary (nothing has been resolved: reading has no effect)."""
        grouped, deferred, forbidden = self.collect_subfields(object_type, field_details_list)
        if deferred or forbidden:
            raise _NotPlain
        plain = self.plain
        result: dict[str, Any] = {}
        for response_name, details in grouped.items():
            plan = plain.get((object_type.name, details[0].node.name.value))
            if plan is None:
                raise _NotPlain
            try:
                value = getattr(source, plan.attribute)
            except Exception as error:
                raise _NotPlain from error
            if value is None and not plan.non_null:
                result[response_name] = None
            elif plan.leaf is not None:
                result[response_name] = _leaf(plan, value)
            else:
                inner: Any = plan.object
                if value is None or isinstance(value, Exception):
                    raise _NotPlain
                if inner.is_type_of is not None and not inner.is_type_of(value, None):
                    raise _NotPlain
                result[response_name] = self._read(inner, details, value)
        return result

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if position_context is None:
            try:
                return self._read(return_type, field_details_list, result)
            except _NotPlain:
                pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

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
                return _leaf(plan, value)
            except _NotPlain:
                return super().execute_field(parent_type, source, field_details_list, path, position_context)
        # An object whose is_type_of reads no resolve info: completed as complete_value would, without the
        # resolver's wrappers. Errors of its fields are handled as execute_field handles them (a non-null
        # field's error propagates, else null).
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
