"""Export of the public mapping: the national standard v1.0.2 as CSV rows (the map's GeoJSON: resolvers.geojson).

The CSV follows "Standard de données des lieux de médiation numérique" v1.0.2: its 32 columns in order,
``|`` between values, the services' labels verbatim, dates as YYYY-MM-DD. Values the standard constrains
(phones, enumerations) are normalised or left out when they cannot conform, and the required fields are
derived when the row lacks them:

- ``pivot``: the SIRET/RNA when it has the standard's form, else "00000000000000" (the standard's "unknown");
- ``commune``: the commune's name from the communes table when the address has none;
- ``code_postal``: the first postal code of the commune when the address has none;
- ``date_maj``: the source's update date, else the day the row last changed here.

A row that still lacks a required field (name, street, commune, postal code) is not exported: the file
claims conformity, and a partner's validator would reject the whole file for it. The caller logs them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import SERVICE_LABELS, Commune, Fees, PostalCode, ServiceKind, ServiceOffering, Structure
from models.mapping import INSEE_COMMUNE_CODE, POSTAL_CODE
from models.spreadsheet import neutralise_formula, starts_like_formula
from models.standard import ALLOWED, FEES_LABELS, FREE_TEXT, PIVOT, SEPARATOR, V1_COLUMNS
from resolvers.ids import to_global_id
from resolvers.structures import offerings_by_structure_ids

PIVOT_UNKNOWN = "00000000000000"
SUMMARY_MAX = 280


PHONE = re.compile(r"(?:\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}")
# Overseas numbers dial their own country code: the first digits of the national number tell which.
OVERSEAS_PREFIXES = {
    "+590": ("0590", "0690", "0691"),
    "+596": ("0596", "0696", "0697"),
    "+594": ("0594", "0694"),
    "+262": ("0262", "0263", "0692", "0693", "0269", "0639"),
    "+508": ("0508",),
}
OVERSEAS_COUNTRY_CODES = {"986": "+681", "987": "+689", "988": "+687"}


def phone_number(raw: str | None, department: str | None) -> str:
    """International form without spaces (``+33180059880``), or "" when the value cannot be one."""
    if not raw:
        return ""
    compact = re.sub(r"[\s.\-/()]", "", raw.split(SEPARATOR)[0])
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+") and re.fullmatch(r"0\d{9}", compact):
        country = next(
            (cc for cc, prefixes in OVERSEAS_PREFIXES.items() if compact.startswith(prefixes)), "+33"
        )
        compact = country + compact[1:]
    elif (
        not compact.startswith("+")
        and department in OVERSEAS_COUNTRY_CODES
        and re.fullmatch(r"\d{6}", compact)
    ):
        compact = OVERSEAS_COUNTRY_CODES[department] + compact
    # "+33 (0)1…" written as "+330…": the trunk zero goes.
    compact = re.sub(r"^(\+(?:33|590|594|262|596|269|687|689|508|681))0", r"\1", compact)
    return compact if PHONE.fullmatch(compact) else ""


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def _split(raw: str | None, pattern: str) -> list[str]:
    return [part for part in re.split(pattern, raw or "") if part]


def _enumerated(name: str, values: Sequence[str]) -> str:
    """The values the standard accepts, in the order published (a file exported back is unchanged)."""
    allowed = set(ALLOWED[name])
    kept = [v for v in dict.fromkeys(values) if v in allowed]
    return SEPARATOR.join(kept)


def _summary(text: str | None) -> str:
    text = (text or "").strip()
    # The standard's limit is on the written cell, which a neutralised formula starts with an apostrophe.
    room = SUMMARY_MAX - 1 if starts_like_formula(text) else SUMMARY_MAX
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


@dataclass(frozen=True)
class Fallbacks:
    """What the communes table can tell about rows whose address is incomplete."""

    commune_names: dict[str, str] = field(default_factory=dict)
    postal_codes: dict[str, str] = field(default_factory=dict)


def standard_row(
    structure: Structure, offerings: Sequence[ServiceOffering], fallbacks: Fallbacks
) -> list[str] | None:
    """The row of the standard v1.0.2 for a structure, in column order; None if a required field is missing."""
    s = structure
    extra: dict[str, Any] = s.standard or {}
    insee = (s.commune_code or "").strip().upper()
    insee = insee if INSEE_COMMUNE_CODE.fullmatch(insee) else ""
    postal = (s.postal_code or "").strip()
    if not POSTAL_CODE.fullmatch(postal):
        postal = fallbacks.postal_codes.get(insee, "")
    city = (s.city or "").strip() or fallbacks.commune_names.get(insee, "")
    name, street = " ".join(s.name.split()), " ".join((s.street or "").split())
    if not (name and street and city and postal):
        return None

    kinds = {ServiceKind(o.kind) for o in offerings}
    fees = {Fees(o.fees) for o in offerings if o.fees}
    fee_labels = [FEES_LABELS[f] for f in Fees if f in fees] or _values(extra.get("frais_a_charge"))
    pivot = (s.pivot or "").strip()
    updated = s.source_updated_on or s.updated_at.date()
    row = {
        "id": to_global_id("Structure", s.id),
        "pivot": pivot if PIVOT.fullmatch(pivot) else PIVOT_UNKNOWN,
        "nom": name,
        "commune": city,
        "code_postal": postal,
        "code_insee": insee,
        "adresse": street,
        "complement_adresse": (s.address_complement or "").strip(),
        "latitude": _number(s.latitude),
        "longitude": _number(s.longitude),
        "typologie": SEPARATOR.join(_split(s.typology, r"\s*[;|]\s*"))
        or SEPARATOR.join(_values(extra.get("typologie"))),
        "telephone": phone_number(s.phone, s.department_code),
        "courriels": SEPARATOR.join(p for p in _split(s.email, r"[\s;,|]+") if "@" in p),
        "site_web": SEPARATOR.join(_split(s.website, r"[\s;|]+")),
        "horaires": (s.opening_hours or "").strip(),
        "presentation_resume": _summary(s.summary),
        "presentation_detail": (s.description or "").strip(),
        "source": s.source or "",
        "date_maj": updated.isoformat(),
        "services": SEPARATOR.join(SERVICE_LABELS[k] for k in ServiceKind if k in kinds),
        "frais_a_charge": _enumerated("frais_a_charge", fee_labels),
    }
    for name_ in ALLOWED:
        row.setdefault(name_, _enumerated(name_, _values(extra.get(name_))))
    for name_ in FREE_TEXT:
        row[name_] = SEPARATOR.join(_values(extra.get(name_)))
    return [neutralise_formula(row[f]) for f in V1_COLUMNS]


@dataclass(frozen=True)
class Batch:
    rows: list[list[str]]
    last_id: int | None  # where the next batch starts; None when this one was the last
    skipped: list[int]  # structures left out for lack of a required field


def standard_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    """The next ``size`` structures (by id) in the standard's form: one keyset step of a streamed export."""
    # Closed places are left out: the file is the current list; partners learn closures by includeClosed.
    stmt = select(Structure).where(Structure.id > after_id, Structure.closed_at.is_(None))
    if updated_since is not None:
        stmt = stmt.where(Structure.updated_at > updated_since)
    structures = list(session.scalars(stmt.order_by(Structure.id).limit(size)))
    offerings = offerings_by_structure_ids(session, [s.id for s in structures])
    fallbacks = _fallbacks(session, structures)
    rows: list[list[str]] = []
    skipped: list[int] = []
    for structure, own in zip(structures, offerings, strict=True):
        row = standard_row(structure, own, fallbacks)
        if row is None:
            skipped.append(structure.id)
        else:
            rows.append(row)
    last = structures[-1].id if len(structures) == size else None
    return Batch(rows, last, skipped)


def export_version(session: Session, updated_since: datetime | None) -> str:
    """What the export is made of, in one line: it changes whenever a row of the export can have changed.

    Structures are upserted, never deleted, and every write to one (or to its offerings) moves its
    ``updated_at``; the communes table gives fallbacks (names, postal codes) and is only ever added to.
    """
    stmt = select(func.count(), func.max(Structure.updated_at), func.max(Structure.id))
    if updated_since is not None:
        stmt = stmt.where(Structure.updated_at > updated_since)
    count, last_update, last_id = session.execute(stmt).one()
    communes = session.scalar(select(func.count()).select_from(Commune))
    postal = session.scalar(select(func.count()).select_from(PostalCode))
    stamp = last_update.isoformat() if last_update else "-"
    return f"{count}:{stamp}:{last_id}:{communes}:{postal}"


def _fallbacks(session: Session, structures: Sequence[Structure]) -> Fallbacks:
    wanted = {
        (s.commune_code or "").strip().upper()
        for s in structures
        if s.commune_code
        and (not (s.city or "").strip() or not POSTAL_CODE.fullmatch((s.postal_code or "").strip()))
    }
    if not wanted:
        return Fallbacks()
    names = {
        code: name
        for code, name in session.execute(select(Commune.code, Commune.name).where(Commune.code.in_(wanted)))
    }
    postal: dict[str, str] = {}
    pairs = session.execute(
        select(PostalCode.commune_code, PostalCode.postal_code)
        .where(PostalCode.commune_code.in_(wanted))
        .order_by(PostalCode.commune_code, PostalCode.postal_code)
    )
    for code, postal_code in pairs:
        postal.setdefault(code, postal_code)
    return Fallbacks(names, postal)
