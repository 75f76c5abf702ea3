"""The map's search box: communes by name or postal-code prefix.

A name is compared through ``models.mapping.commune_key`` (case, accents, hyphens, apostrophes and
« St »/« Saint » ignored) as a prefix range on the indexed ``commune_search_keys``: names that start with
the search come first (shortest first, so the exact name leads), then names with a later word that starts
with it ("rouvray" → Saint-Étienne-du-Rouvray). Digits are a postal-code prefix (on the primary key of
``postal_codes``). Each commune comes once, with every postal code it has and its centre.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models import Commune, CommuneSearchKey, PostalCode
from models.errors import InvalidInput
from models.mapping import commune_key, department_of
from resolvers.pagination import page_size

SEARCH_MAX = 100
FIRST_MAX = 50
# Above every character of a key ([a-z0-9]): "abc" <= key < "abc~" is the prefix range of "abc".
_AFTER_KEYS = "~"
_POSTAL_PREFIX = re.compile(r"\d{1,5}")
# A rank-1 (later word) match sorts after every rank-0 one: no commune key is this long.
_RANK_WEIGHT = 1000


_COLUMNS = (Commune.code, Commune.name, Commune.department_code, Commune.latitude, Commune.longitude)


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    department_code: str
    latitude: float | None
    longitude: float | None
    postal_codes: list[str]


def search_communes(session: Session, search: str, first: int | None) -> list[CommuneRow]:
    limit = page_size(first, FIRST_MAX)
    text = search.strip()
    if len(text) > SEARCH_MAX:
        raise InvalidInput("search", f"search : au plus {SEARCH_MAX} caractères, reçu {len(text)}")
    compact = text.replace(" ", "")
    if _POSTAL_PREFIX.fullmatch(compact):
        found = _by_postal_prefix(session, compact, limit)
    else:
        key = commune_key(text, partial=True)
        if not key:
            raise InvalidInput(
                "search",
                "search : attendu le début d'un nom de commune (ex. « Angoulê ») ou d'un code postal "
                f"(ex. « 160 »), reçu « {search} »",
            )
        found = _by_name(session, key, limit)
    return _rows(session, found)


def _by_name(session: Session, key: str, limit: int) -> list[Row[Any]]:
    score = func.min(CommuneSearchKey.rank * _RANK_WEIGHT + func.length(CommuneSearchKey.key))
    stmt = (
        select(*_COLUMNS)
        .join(CommuneSearchKey, CommuneSearchKey.commune_code == Commune.code)
        .where(CommuneSearchKey.key >= key, CommuneSearchKey.key < key + _AFTER_KEYS)
        .group_by(*_COLUMNS)
        .order_by(score, Commune.name, Commune.code)
        .limit(limit)
    )
    return list(session.execute(stmt))


def _by_postal_prefix(session: Session, prefix: str, limit: int) -> list[Row[Any]]:
    # The postal codes are digits: ":" follows "9", so [prefix, prefix + ":") is the prefix range.
    stmt = (
        select(*_COLUMNS)
        .join(PostalCode, PostalCode.commune_code == Commune.code)
        .where(PostalCode.postal_code >= prefix, PostalCode.postal_code < prefix + ":")
        .group_by(*_COLUMNS)
        .order_by(func.min(PostalCode.postal_code), Commune.code)
        .limit(limit)
    )
    return list(session.execute(stmt))


def _rows(session: Session, communes: list[Row[Any]]) -> list[CommuneRow]:
    """The communes found, in their order, each with all its postal codes (one more query)."""
    if not communes:
        return []
    postal: dict[str, list[str]] = defaultdict(list)
    for postal_code, code in session.execute(
        select(PostalCode.postal_code, PostalCode.commune_code)
        .where(PostalCode.commune_code.in_([c.code for c in communes]))
        .order_by(PostalCode.postal_code)
    ):
        postal[code].append(postal_code)
    return [
        CommuneRow(
            code=c.code,
            name=c.name,
            department_code=c.department_code or department_of(c.code) or "",
            latitude=c.latitude,
            longitude=c.longitude,
            postal_codes=postal.get(c.code, []),
        )
        for c in communes
    ]
