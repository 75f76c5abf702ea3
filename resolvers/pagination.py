"""Opaque keyset cursors, page sizes and the page skeleton of every list.

A cursor is the sort key of the last row a client saw, as JSON in base64url. It comes back from outside, so
it is decoded here only, part by part, with bounds: a forged cursor is an ``INVALID_INPUT`` on ``after``,
never a value that reaches the database (an id past the integer range, a NaN or an infinite distance, a
date that overflows when brought to UTC, a deeply nested array).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from models.errors import InvalidInput
from resolvers.ids import bounded_pk

T = TypeVar("T")
# The longest cursor we make is about 80 characters; a longer one is forged.
CURSOR_MAX_LENGTH = 200

Part = Callable[[Any], Any]


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str, allow_nan=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _forged(field: str) -> InvalidInput:
    return InvalidInput(
        field, f"{field} : curseur invalide pour cette liste ; utilisez un endCursor renvoyé par cette liste"
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a cursor value")


def decode_cursor(cursor: str, parts: Sequence[Part], field: str = "after") -> tuple[Any, ...]:
    """The cursor's key, each part checked by its decoder (``ID``, ``INSTANT``, ``DISTANCE``)."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise _forged(field)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key = json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise _forged(field) from None
    if not isinstance(key, list) or len(key) != len(parts):
        raise _forged(field)
    values = []
    for part, value in zip(parts, key, strict=True):
        decoded = part(value)
        if decoded is None:
            raise _forged(field)
        values.append(decoded)
    return tuple(values)


def ID(value: Any) -> int | None:
    return bounded_pk(value) if isinstance(value, int) else None


def INSTANT(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return utc_instant(datetime.fromisoformat(value))
    except ValueError:
        return None


def DISTANCE(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    distance = float(value)
    return distance if math.isfinite(distance) and distance >= 0 else None


def utc_instant(value: datetime) -> datetime:
    """An aware date-time brought to UTC; ValueError when it has no offset or leaves the calendar in UTC
    (``0001-01-01T00:00:00+14:00`` is in year 0 in UTC, ``9999-12-31T23:59:59-14:00`` in year 10000)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("no offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range in UTC") from None


def checked_instant(value: datetime, field: str) -> datetime:
    """A date-time argument, or an ``INVALID_INPUT`` naming ``field``."""
    try:
        return utc_instant(value)
    except ValueError:
        raise InvalidInput(
            field,
            f"{field} : attendu une date et heure ISO 8601 avec fuseau, entre l'an 1 et l'an 9999 une fois "
            f"ramenée en UTC (comme 2024-05-31T08:00:00Z), reçu {value.isoformat()}",
        ) from None


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


def keyset_page(
    rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]], total: int | None = None
) -> Page[T]:
    """A page from up to ``limit + 1`` rows in order: the extra row only says that more follow.

    ``hasNextPage`` needs an ``endCursor`` to continue from: an empty page (``first: 0``) has neither.
    """
    items = rows[:limit]
    return Page(
        items=items,
        cursors=[encode_cursor(*key(row)) for row in items],
        has_next=len(rows) > limit and len(items) > 0,
        total=total,
    )
