"""Validation rules of our own."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, GraphQLError, ValidationRule

# Fields that may appear once per document (by their root type): aliases or repeated selections must not
# multiply tries.
ONCE_PER_DOCUMENT = {"claimDossier": "Mutation", "beneficiaryStatus": "Query"}


class OncePerDocument(ValidationRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.seen: set[str] = set()

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        name = node.name.value
        if name not in ONCE_PER_DOCUMENT:
            return
        parent = self.context.get_parent_type()
        if parent is None or parent.name != ONCE_PER_DOCUMENT[name]:
            return
        if name in self.seen:
            self.report_error(
                GraphQLError(f"{name} : une seule fois par requête (pas d'alias ni de répétition).", node)
            )
        self.seen.add(name)
