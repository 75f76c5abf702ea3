"""Opaque keyset cursors and page sizes for every list."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from models.errors import InvalidInput

T = TypeVar("T")


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int, field: str = "after") -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            field, f"{field} : curseur invalide ; utilisez un endCursor renvoyé par l'API"
        ) from exc
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidInput(
            field, f"{field} : curseur invalide pour cette liste ; utilisez un endCursor de cette liste"
        )
    return key


def page_size(first: int | None, cap: int, field: str = "first") -> int:
    if first is None:
        return cap
    if first < 0:
        raise InvalidInput(field, f"{field} : attendu un entier entre 0 et {cap}, reçu {first}")
    if first > cap:
        raise InvalidInput(field, f"{field} : au plus {cap} éléments par page, reçu {first}")
    return first


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    cursors: Sequence[str]
    has_next: bool
    total: int | None = None
