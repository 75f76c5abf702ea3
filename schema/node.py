from __future__ import annotations

from typing import Any

import strawberry

from resolvers.pagination import Page


@strawberry.interface(description="An object with an opaque, stable id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any]) -> PageInfo:
        return cls(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None)


def selects(info: strawberry.Info, name: str) -> bool:
    """Whether the current field's selection asks for ``name`` (directly or through fragments)."""

    def walk(selections: list[Any]) -> bool:
        return any(
            getattr(s, "name", None) == name or walk(getattr(s, "selections", None) or []) for s in selections
        )

    return any(walk(field.selections) for field in info.selected_fields)
