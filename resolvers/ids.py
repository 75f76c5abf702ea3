"""Opaque global ids: ``base64url("Type:pk")``. Callers never build or parse them by hand."""

from __future__ import annotations

import base64
import binascii

from models.errors import InvalidInput


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(value: str, expected: str, field: str = "id") -> int:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, pk = raw.partition(":")
        if type_name == expected and pk.isdigit():
            return int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput(
        field, f"{field} : identifiant de {expected} invalide (utilisez l'id renvoyé par l'API)"
    )


def maybe_global_id(value: str, expected: str) -> int | None:
    """The pk, or None when ``value`` is not an id of that type (for lookups that answer null)."""
    try:
        return from_global_id(value, expected)
    except InvalidInput:
        return None
