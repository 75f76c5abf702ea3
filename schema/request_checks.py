"""What a request may send and ask for, judged before it runs: clean strings, bounded lists, a cost budget.

Strings: no control character (but tab, line feed and carriage return) and no lone surrogate, in variables
or in the document's literals. PostgreSQL refuses NUL where SQLite stores it, and a lone surrogate cannot
be encoded for either: refusing them here gives the same ``INVALID_INPUT``, naming the argument, on both.

Lists: a list in the variables has at most ``AIGUILLAGE_MAX_LIST_ITEMS`` values.

The cost of a request is the number of objects it may resolve, estimated from the document alone (with its
variables): an object field costs one per instance, and a list multiplies what is under it by its length:

- a field with ``first`` yields ``first`` items (its default when absent, the page cap when null);
- a connection's list (``edges``) has the length of its connection's ``first``;
- any other list of objects (a structure's ``offerings``, a dossier's ``history``) is assumed to hold
  ``AIGUILLAGE_UNBOUNDED_LIST_ESTIMATE`` items.

Scalars are free, and so is introspection (disabled in production). A request over its budget (stricter
without a token) runs nothing and gets one error naming the cost and the budget. ``first`` is counted up to
the page cap: past it the field refuses with its own, clearer message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.pyutils import Undefined
from strawberry.extensions import SchemaExtension

from app.settings import Settings
from schema.extensions import DocumentKey

COST_CODE = "QUERY_TOO_COSTLY"
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _first(node: FieldNode, field_def: Any, variables: Mapping[str, Any], cap: int) -> int | None:
    """The length a ``first`` argument asks for (clamped to the page cap); None when the field has none."""
    if "first" not in field_def.args:
        return None
    value: Any = field_def.args["first"].default_value
    for argument in node.arguments or ():
        if argument.name.value != "first":
            continue
        literal = argument.value
        if isinstance(literal, IntValueNode):
            value = int(literal.value)
        elif isinstance(literal, NullValueNode):
            value = None
        elif isinstance(literal, VariableNode):
            value = variables.get(literal.name.value)
    if value is None or value is Undefined or not isinstance(value, int) or isinstance(value, bool):
        return cap
    return max(0, min(value, cap))


class CostEstimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        cap: int,
        unbounded: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.cap = cap
        self.unbounded = unbounded

    def selections(
        self, selection_set: SelectionSetNode, parent: Any, seen: frozenset[str]
    ) -> Iterator[tuple[FieldNode, Any]]:
        """The fields of a selection set with their parent type, through fragments (each spread once per path)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                yield from self.selections(selection.selection_set, on or parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                on = self.schema.get_type(fragment.type_condition.name.value)
                yield from self.selections(fragment.selection_set, on or parent, seen | {name})

    def cost(self, selection_set: SelectionSetNode, parent: Any, multiplier: int, pending: int | None) -> int:
        total = 0
        for node, parent_type in self.selections(selection_set, parent, frozenset()):
            name = node.name.value
            fields = getattr(parent_type, "fields", None)
            if name.startswith("__") or node.selection_set is None or not fields or name not in fields:
                continue
            field_def = fields[name]
            first = _first(node, field_def, self.variables, self.cap)
            is_list = is_list_type(get_nullable_type(field_def.type))
            if is_list:
                length = first if first is not None else pending if pending is not None else self.unbounded
                count, child_pending = multiplier * length, None
            else:
                # A connection: its `first` is the length of the list inside it (edges).
                count, child_pending = multiplier, first
            total += count
            total += self.cost(node.selection_set, get_named_type(field_def.type), count, child_pending)
        return total


def estimate_cost(
    schema: GraphQLSchema,
    document: Any,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    cap: int,
    unbounded: int,
) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    defaults = {
        d.variable.name.value: getattr(d.default_value, "value", None)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    values: dict[str, Any] = {}
    for name, default in defaults.items():
        try:
            values[name] = int(default) if default is not None else None
        except (TypeError, ValueError):
            values[name] = default
    values.update(variables)
    root = schema.get_root_type(operation.operation)
    estimate = CostEstimate(schema, fragments, values, cap, unbounded)
    return estimate.cost(operation.selection_set, root, 1, None)


def _longest_list(value: Any, path: str) -> tuple[int, str]:
    """The longest list inside a variable's value, and where it is."""
    if isinstance(value, list):
        best = (len(value), path)
        for item in value:
            if isinstance(item, list | dict):
                best = max(best, _longest_list(item, path), key=lambda pair: pair[0])
        return best
    if isinstance(value, dict):
        best = (0, path)
        for key, item in value.items():
            best = max(best, _longest_list(item, f"{path}.{key}"), key=lambda pair: pair[0])
        return best
    return 0, path


def _bad_string_in_value(value: Any, path: str) -> str | None:
    """Where a string with a forbidden character is inside a variable's value, or None."""
    if isinstance(value, str):
        return path if FORBIDDEN_CHARACTERS.search(value) else None
    if isinstance(value, list):
        return next((p for item in value if (p := _bad_string_in_value(item, path))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _bad_string_in_value(item, f"{path}.{key}") or _bad_string_in_value(key, path)
            if found:
                return found
    return None


def _bad_string_in_literal(node: ValueNode, path: str) -> str | None:
    if isinstance(node, StringValueNode):
        return path if FORBIDDEN_CHARACTERS.search(node.value) else None
    if isinstance(node, ListValueNode):
        return next((p for item in node.values if (p := _bad_string_in_literal(item, path))), None)
    if isinstance(node, ObjectValueNode):
        return next(
            (p for f in node.fields if (p := _bad_string_in_literal(f.value, f"{path}.{f.name.value}"))), None
        )
    return None


def _bad_string_in_document(document: Any) -> str | None:
    """The argument (``input.lastName``) whose literal holds a forbidden character, or None."""
    stack = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                found = _bad_string_in_literal(argument.value, argument.name.value)
                if found:
                    return found
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return None


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _refuse(message: str, extensions: dict[str, Any]) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions=extensions)])


def _first_variables(document: Any) -> frozenset[str]:
    """The variables given to a ``first`` argument anywhere in the document: all the cost reads of them."""
    names: set[str] = set()
    stack = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value == "first" and isinstance(argument.value, VariableNode):
                    names.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return frozenset(names)


class DocumentChecks:
    """What the checks learn from a document alone, kept per distinct query text (as the parser and the
    validation keep theirs): its literals' forbidden characters, and its cost for given ``first`` variables.
    The variables' own strings and lists are checked on every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        size = settings.parser_cache_size
        self.bad_literal = lru_cache(maxsize=size)(lambda key: _bad_string_in_document(key.document))
        self.first_variables = lru_cache(maxsize=size)(lambda key: sorted(_first_variables(key.document)))
        self._costs = lru_cache(maxsize=size)(self._cost)

    def _cost(
        self,
        schema: GraphQLSchema,
        key: DocumentKey,
        operation_name: str | None,
        firsts: tuple[tuple[bool, Any], ...],
    ) -> int | None:
        names = self.first_variables(key)
        variables = {name: value for name, (given, value) in zip(names, firsts, strict=True) if given}
        return self._estimate(schema, key.document, operation_name, variables)

    def _estimate(
        self, schema: GraphQLSchema, document: Any, operation_name: str | None, variables: Mapping[str, Any]
    ) -> int | None:
        operation = _operation(document, operation_name)
        if operation is None:
            return None
        settings = self.settings
        return estimate_cost(
            schema, document, operation, variables, settings.page_size_max, settings.unbounded_list_estimate
        )

    def cost(
        self,
        schema: GraphQLSchema,
        key: DocumentKey,
        operation_name: str | None,
        variables: Mapping[str, Any],
    ) -> int | None:
        """The cost of the operation (None when there is no such operation), cached by the values of the
        variables that the cost reads (those given to ``first``)."""
        # Keyed by what ``_first`` reads of each value: an int is a length, anything else (a float, a bool, a
        # string, a list) stands for the page cap. Keying by the raw value would let 1.0 or true (== 1 in
        # Python) share the entry of 1 and fix the cost of one for the other.
        firsts = tuple(
            (name in variables, value if type(value) is int else None)
            for name, value in ((name, variables.get(name)) for name in self.first_variables(key))
        )
        return self._costs(schema, key, operation_name, firsts)


class RequestChecks(SchemaExtension):
    """Refuses, before execution, forbidden characters, over-long list arguments and a cost over budget."""

    def __init__(self, settings: Settings, documents: DocumentChecks | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.documents = documents or DocumentChecks(settings)

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        refusal = self._refusal()
        if refusal is not None:
            context.result = refusal
        yield

    def _refusal(self) -> ExecutionResult | None:
        settings, context = self.settings, self.execution_context
        variables = context.variables or {}
        document = context.graphql_document
        key = DocumentKey(context.query, document) if document is not None else None
        where = next((p for n, v in variables.items() if (p := _bad_string_in_value(v, n))), None)
        if where is None and key is not None:
            where = self.documents.bad_literal(key)
        if where is not None:
            return _refuse(
                f"{where} : caractère de contrôle interdit (seuls la tabulation et les retours à la ligne "
                "sont admis dans un texte)",
                {"code": "INVALID_INPUT", "field": where},
            )
        for name, value in variables.items():
            length, where = _longest_list(value, f"${name}")
            if length > settings.max_list_items:
                return _refuse(
                    f"{where} : au plus {settings.max_list_items} valeurs par liste, reçu {length}",
                    {"code": "INVALID_INPUT", "field": where.lstrip("$")},
                )
        if key is None:
            return None
        cost = self.documents.cost(context.schema._schema, key, context.operation_name, variables)
        if cost is None:
            return None  # graphql-core reports the missing or ambiguous operation itself
        anonymous = getattr(context.context, "actor", None) is None
        budget = settings.max_query_cost_anonymous if anonymous else settings.max_query_cost
        if cost <= budget:
            return None
        who = "sans jeton" if anonymous else "authentifiée"
        return _refuse(
            f"Requête trop coûteuse : coût estimé {cost}, budget {budget} par requête {who}. Réduisez first, "
            "le nombre d'alias ou l'imbrication (chaque objet compte une fois, chaque liste multiplie ce "
            "qu'elle contient par sa longueur).",
            {"code": COST_CODE, "cost": cost, "budget": budget},
        )
