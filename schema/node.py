from __future__ import annotations

from typing import Any

import strawberry


@strawberry.interface(description="An object with an opaque, stable id.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def selects(info: strawberry.Info, name: str) -> bool:
    """Whether the current field's selection asks for ``name`` (directly or through fragments)."""

    def walk(selections: list[Any]) -> bool:
        return any(
            getattr(s, "name", None) == name or walk(getattr(s, "selections", None) or []) for s in selections
        )

    return any(walk(field.selections) for field in info.selected_fields)
