"""Opaque global ids: ``base64url("Type:pk")``. Callers never build or parse them by hand.

Every id that comes from outside (GraphQL arguments, cursors, the command line) is decoded here, with the
bounds of the database: a primary key is a positive 32-bit integer on PostgreSQL, so a larger number is
refused as malformed on both backends, before any SQL (SQLite would take it, PostgreSQL would fail).
"""

from __future__ import annotations

import base64
import binascii
import re

from models.errors import InvalidInput

ID_MAX = 2**31 - 1
# "Structure:2147483647" is 28 characters of base64; anything much longer is not an id of ours.
GLOBAL_ID_MAX_LENGTH = 64
_DIGITS = re.compile(r"[0-9]{1,10}")


def to_global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def bounded_pk(value: object) -> int | None:
    """A primary key from digits (a string) or an int, or None when it is not one the database can hold."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        pk = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        pk = int(value)
    else:
        return None
    return pk if 1 <= pk <= ID_MAX else None


def _decode(value: str, expected: str) -> int | None:
    if len(value) > GLOBAL_ID_MAX_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, pk = raw.partition(":")
    return bounded_pk(pk) if type_name == expected else None


def invalid_id(expected: str, field: str) -> InvalidInput:
    return InvalidInput(
        field, f"{field} : identifiant de {expected} invalide (utilisez l'id renvoyé par l'API)"
    )


def from_global_id(value: str, expected: str, field: str = "id") -> int:
    pk = _decode(value, expected)
    if pk is None:
        raise invalid_id(expected, field)
    return pk


def maybe_global_id(value: str, expected: str) -> int | None:
    """The pk, or None when ``value`` is not an id of that type (for lookups that answer null)."""
    return _decode(value, expected)


def id_or_number(value: str, expected: str, field: str) -> int:
    """For people typing ids (the command line): the API's opaque id, or the plain number it wraps."""
    text = value.strip()
    pk = bounded_pk(text) if text.isascii() and text.isdigit() else _decode(text, expected)
    if pk is None:
        raise InvalidInput(
            field,
            f"{field} : identifiant de {expected} invalide, reçu « {text[:40]} » ; attendu l'id de l'API "
            f"(comme « {to_global_id(expected, 12)} ») ou son numéro (comme « 12 »), au plus {ID_MAX}",
        )
    return pk


def global_id_sql(type_name: str, pk_sql: str) -> str:
    """``to_global_id`` as a PostgreSQL expression over the SQL ``pk_sql``, for rows written by the database
    itself (the CSV export); ``tests/test_export.py`` checks that both give the same ids."""
    return (
        f"rtrim(translate(encode(convert_to('{type_name}:' || ({pk_sql})::text, 'UTF8'), 'base64'), "
        "'+/', '-_'), '=')"
    )
