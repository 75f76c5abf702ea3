"""Export in the data·inclusion schema v1 (structures and services), the format DORA, Les emplois and other
services of the inclusion ecosystem consume. Vocabulary tables: ``models/data_inclusion.py``.

Records are built from selected columns (no ORM entities), one keyset batch at a time, so that the export
streams with flat memory. Closed places are left out (partners learn closures by ``includeClosed``). A
place whose name cannot make the schema's ``nom`` (3 to 150 characters) is left out and counted. Each
service is one of our offerings: its id is the offering's, its ``structure_id`` the structure's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from models import AccessMode, Fees, ServiceKind, ServiceOffering, SpecificSupport, Structure, SupportMode
from models import data_inclusion as di
from models.mapping import INSEE_COMMUNE_CODE
from models.standard import FEES_LABELS, enum_values
from resolvers.ids import to_global_id

NAME_LIMITS = (3, 150)
DESCRIPTION_LIMITS = (5, 10_000)
URI_MAX = 2083
_URI = re.compile(r"https?://\S+")
_EMAIL = re.compile(r"[^@\s;,|]+@[^@\s;,|]+\.[^@\s;,|]+")
_POSTAL = re.compile(r"\d{5}")
_SIRET = re.compile(r"\d{14}")

# The offerings' columns a services.json batch reads (with its structures' STRUCTURE_COLUMNS).
OFFERING_COLUMNS = (
    ServiceOffering.id,
    ServiceOffering.structure_id,
    ServiceOffering.kind,
    ServiceOffering.fees,
    ServiceOffering.latitude,
    ServiceOffering.longitude,
)
STRUCTURE_COLUMNS = (
    Structure.id,
    Structure.source,
    Structure.name,
    Structure.street,
    Structure.address_complement,
    Structure.postal_code,
    Structure.city,
    Structure.commune_code,
    Structure.latitude,
    Structure.longitude,
    Structure.phone,
    Structure.email,
    Structure.website,
    Structure.pivot,
    Structure.summary,
    Structure.description,
    Structure.opening_hours,
    Structure.standard,
    Structure.source_updated_on,
    Structure.updated_at,
)


@dataclass(frozen=True)
class Batch:
    records: list[dict[str, Any]]
    last_id: int | None  # the last structure id of this batch; None when it was the last batch
    skipped: list[int]


def _uri(value: str | None) -> str | None:
    match = _URI.search(value or "")
    return match.group(0) if match and len(match.group(0)) <= URI_MAX else None


def _email(value: str | None) -> str | None:
    match = _EMAIL.search(value or "")
    return match.group(0) if match else None


def _text(value: str | None, limits: tuple[int, int]) -> str | None:
    text = " ".join((value or "").split())
    if len(text) < limits[0]:
        return None
    return text if len(text) <= limits[1] else text[: limits[1] - 1] + "…"


def _first(standard: dict[str, Any], field: str) -> str | None:
    return next(iter(standard.get(field) or []), None)


def _common(s: Row[Any]) -> dict[str, Any]:
    insee = (s.commune_code or "").strip().upper()
    postal = (s.postal_code or "").strip()
    return {
        "source": s.source,
        "date_maj": (s.source_updated_on or s.updated_at.date()).isoformat(),
        "adresse": (s.street or "").strip() or None,
        "complement_adresse": (s.address_complement or "").strip() or None,
        "commune": (s.city or "").strip() or None,
        "code_postal": postal if _POSTAL.fullmatch(postal) else None,
        "code_insee": insee if INSEE_COMMUNE_CODE.fullmatch(insee) else None,
        "telephone": (s.phone or "").strip() or None,
        "courriel": _email(s.email),
        "horaires_accueil": (s.opening_hours or "").strip() or None,
        "lien_source": None,
    }


def structure_record(s: Row[Any]) -> dict[str, Any] | None:
    name = _text(s.name, (NAME_LIMITS[0], 10**6))
    if name is None:
        return None
    standard: dict[str, Any] = s.standard or {}
    labels = [*standard.get("dispositif_programmes_nationaux", []), *standard.get("formations_labels", [])]
    networks = list(dict.fromkeys(di.NETWORKS[label] for label in labels if label in di.NETWORKS))
    pivot = (s.pivot or "").strip()
    return {
        "id": to_global_id("Structure", s.id),
        "nom": _text(name, NAME_LIMITS),
        **_common(s),
        "latitude": s.latitude,
        "longitude": s.longitude,
        "siret": pivot if _SIRET.fullmatch(pivot) and pivot != "0" * 14 else None,
        "site_web": _uri(s.website),
        "description": _text(s.description or s.summary, DESCRIPTION_LIMITS),
        "accessibilite_lieu": _uri(_first(standard, "fiche_acces_libre")),
        "reseaux_porteurs": networks or None,
    }


@dataclass(frozen=True)
class _Place:
    """What every service of one structure shares, computed once per structure rather than per offering."""

    structure_id: str
    common: dict[str, Any]
    publics: list[str]
    modes: list[SupportMode]
    modes_accueil: list[str]
    modes_mobilisation: list[str] | None
    appointment: str | None


def _place(s: Row[Any]) -> _Place:
    standard: dict[str, Any] = s.standard or {}
    publics = [di.PUBLICS[p] for p in enum_values(standard, "publics_specifiquement_adresses")]
    supports: list[SpecificSupport] = enum_values(standard, "prise_en_charge_specifique")
    if any(support in di.DISABILITIES for support in supports):
        publics.append(di.DISABILITY)
    access: list[AccessMode] = enum_values(standard, "modalites_acces")
    modes: list[SupportMode] = enum_values(standard, "modalites_accompagnement")
    appointment = _uri(_first(standard, "prise_rdv"))
    mobilisation = [
        di.MOBILISATION[a]
        for a in access
        if a in di.MOBILISATION and (a is not AccessMode.ONLINE_APPOINTMENT or appointment)
    ]
    return _Place(
        structure_id=to_global_id("Structure", s.id),
        common=_common(s),
        publics=list(dict.fromkeys(publics)) or [di.EVERYONE],
        modes=modes,
        modes_accueil=["a-distance"] if set(modes) == di.REMOTE_ONLY else ["en-presentiel"],
        modes_mobilisation=list(dict.fromkeys(mobilisation)) or None,
        appointment=appointment,
    )


def service_record(s: Row[Any], o: Row[Any], place: _Place | None = None) -> dict[str, Any]:
    p = place or _place(s)
    kind = ServiceKind(o.kind)
    if kind in di.MATERIAL_KINDS:
        type_ = "aide-materielle"
    elif p.modes == [SupportMode.GROUP_WORKSHOP]:
        type_ = "atelier"
    else:
        type_ = "accompagnement"
    fees = Fees(o.fees) if o.fees else None
    return {
        "id": to_global_id("ServiceOffering", o.id),
        "structure_id": p.structure_id,
        "nom": kind.label,
        "description": kind.label,
        **p.common,
        "latitude": o.latitude,
        "longitude": o.longitude,
        "thematiques": list(di.THEMES[kind]),
        "type": type_,
        "frais": di.FEES[fees] if fees else None,
        "frais_precisions": FEES_LABELS[fees] if fees is Fees.FREE_UNDER_CONDITIONS else None,
        "publics": list(p.publics),
        "modes_accueil": list(p.modes_accueil),
        "modes_mobilisation": list(p.modes_mobilisation) if p.modes_mobilisation else None,
        "lien_mobilisation": p.appointment,
    }


def _structures(session: Session, after_id: int, updated_since: datetime | None, size: int) -> list[Row[Any]]:
    stmt = select(*STRUCTURE_COLUMNS).where(Structure.id > after_id, Structure.closed_at.is_(None))
    if updated_since is not None:
        stmt = stmt.where(Structure.updated_at > updated_since)
    return list(session.execute(stmt.order_by(Structure.id).limit(size)))


def structures_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    rows = _structures(session, after_id, updated_since, size)
    records, skipped = [], []
    for row in rows:
        record = structure_record(row)
        if record is None:
            skipped.append(row.id)
        else:
            records.append(record)
    return Batch(records, rows[-1].id if len(rows) == size else None, skipped)


def services_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    rows = _structures(session, after_id, updated_since, size)
    offerings: dict[int, list[Any]] = defaultdict(list)
    if rows:
        for o in session.execute(
            select(*OFFERING_COLUMNS)
            .where(ServiceOffering.structure_id.in_([r.id for r in rows]))
            .order_by(ServiceOffering.structure_id, ServiceOffering.id)
        ):
            offerings[o.structure_id].append(o)
    records, skipped = [], []
    for row in rows:
        if _text(row.name, (NAME_LIMITS[0], 10**6)) is None:  # as structure_record leaves it out
            skipped.append(row.id)
            continue
        own = offerings[row.id]
        if own:
            place = _place(row)
            records += [service_record(row, o, place) for o in own]
    return Batch(records, rows[-1].id if len(rows) == size else None, skipped)
