"""Real places from ../shared/data/lieux-v0/, inserted crudely for the geography tests.

Not the importer: only what the spatial tests need (ids, points, kinds), loaded fast with one
executemany per table. Services are mapped from the v0.1 labels by keyword, roughly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from geo.points import point_element, set_point, valid_point
from models import Commune, Fees, PostalCode, ServiceKind, ServiceOffering, Structure
from models.mapping import department_of
from tests.conftest import SHARED_DATA

LIEUX_V0 = SHARED_DATA / "lieux-v0"

# Keyword of a v0.1 service label -> kind of the standard v1.0.2 (crude, enough for tests).
V0_KINDS: list[tuple[str, ServiceKind]] = [
    ("démarches administratives", ServiceKind.ADMINISTRATIVE_PROCEDURES),
    ("démarches de santé", ServiceKind.ADMINISTRATIVE_PROCEDURES),
    ("smartphone", ServiceKind.EVERYDAY_DIGITAL_TOOLS),
    ("ordinateur", ServiceKind.EVERYDAY_DIGITAL_TOOLS),
    ("numérique au quotidien", ServiceKind.EVERYDAY_DIGITAL_TOOLS),
    ("insertion professionnelle", ServiceKind.PROFESSIONAL_INTEGRATION),
    ("entreprise", ServiceKind.PROFESSIONAL_INTEGRATION),
    ("citoyenneté", ServiceKind.SAFE_DIGITAL_USE),
    ("parentalité", ServiceKind.PARENTING_AND_EDUCATION),
    ("créer avec", ServiceKind.DIGITAL_LEISURE_AND_CREATION),
    ("culture numérique", ServiceKind.UNDERSTANDING_DIGITAL_WORLD),
    ("connexion internet", ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS),
    ("accéder à du matériel", ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS),
    ("équiper", ServiceKind.AFFORDABLE_EQUIPMENT),
]


def kinds_of(services: str | None) -> list[ServiceKind]:
    found: list[ServiceKind] = []
    for part in (services or "").replace(";", ",").split(","):
        label = part.strip().lower()
        for keyword, kind in V0_KINDS:
            if keyword in label and kind not in found:
                found.append(kind)
    return found or [ServiceKind.EVERYDAY_DIGITAL_TOOLS]


@dataclass(frozen=True)
class PlacedOffering:
    id: int
    structure_id: int
    kind: ServiceKind
    latitude: float
    longitude: float
    department: str | None


def _as_float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _text(value: object, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def load_lieux_v0(session: Session, files: tuple[str, ...] | None = None) -> list[PlacedOffering]:
    """Inserts the located places of lieux-v0 (one row per distinct id and file) with their offerings.

    Returns the offerings as inserted, for brute-force comparisons.
    """
    paths = sorted(LIEUX_V0.glob("*.json")) if files is None else [LIEUX_V0 / f for f in files]
    structures: list[dict[str, object]] = []
    offerings: list[dict[str, object]] = []
    placed: list[PlacedOffering] = []
    now = datetime(2024, 1, 1, tzinfo=UTC)
    next_offering = 1
    for path in paths:
        seen: set[str] = set()
        for raw in json.loads(Path(path).read_text(encoding="utf-8")):
            lat, lon = _as_float(raw.get("latitude")), _as_float(raw.get("longitude"))
            source_id = str(raw.get("id") or "")
            if not source_id or source_id in seen or not valid_point(lat, lon):
                continue
            assert lat is not None and lon is not None
            seen.add(source_id)
            sid = len(structures) + 1
            postal = str(raw.get("code_postal") or "")[:5]
            commune = str(raw.get("code_insee") or "") or None
            department = department_of(commune) or (
                postal[:3] if postal.startswith("97") else postal[:2] if postal else None
            )
            structures.append(
                {
                    "id": sid,
                    "source": f"lieux-v0:{path.stem}",
                    "source_id": source_id,
                    "name": str(raw.get("nom") or "Lieu")[:300],
                    "street": str(raw.get("adresse") or "")[:300],
                    "postal_code": postal,
                    "city": str(raw.get("commune") or "")[:200],
                    "commune_code": commune,
                    "department_code": department,
                    "latitude": lat,
                    "longitude": lon,
                    "location": point_element(lat, lon),
                    # One place in ten is a platform member, as in a territory using the service.
                    "is_operator": sid % 10 == 0,
                    # Raw contact and description fields, messy as in the files (the export must cope).
                    "phone": _text(raw.get("telephone"), 100),
                    "email": _text(raw.get("courriel"), 500),
                    "website": _text(raw.get("site_web"), 1000),
                    "pivot": _text(raw.get("pivot"), 20),
                    "typology": _text(raw.get("typologie"), 300),
                    "opening_hours": _text(raw.get("horaires"), 10_000),
                    "summary": _text(raw.get("presentation_resume"), 10_000),
                    "source_updated_on": _day(raw.get("date_maj")),
                    "standard": {},
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for kind in kinds_of(raw.get("services")):
                offerings.append(
                    {
                        "id": next_offering,
                        "structure_id": sid,
                        "kind": kind.value,
                        "fees": Fees.FREE.value,
                        "accepts_carnet": sid % 10 == 0,
                        "latitude": lat,
                        "longitude": lon,
                        "location": point_element(lat, lon),
                    }
                )
                placed.append(PlacedOffering(next_offering, sid, kind, lat, lon, department))
                next_offering += 1
    session.execute(insert(Structure), structures)
    session.execute(insert(ServiceOffering), offerings)
    sync_sequences(session)
    return placed


def sync_sequences(session: Session) -> None:
    """After inserting explicit ids, PostgreSQL's sequences must move past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (Structure, ServiceOffering):
        table = model.__tablename__
        top = session.scalar(select(func.max(model.id))) or 0
        if top:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {int(top)})"))


def analyze(session: Session) -> None:
    """Fresh planner statistics, as autovacuum would give a real database after an import."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE structures"))
        session.execute(text("ANALYZE service_offerings"))
    else:
        session.execute(text("ANALYZE"))


def commune(
    session: Session,
    code: str,
    name: str,
    latitude: float | None,
    longitude: float | None,
    postal_codes: tuple[str, ...] = (),
) -> Commune:
    row = Commune(code=code, name=name, department_code=department_of(code))
    set_point(row, latitude, longitude)
    session.add(row)
    session.flush()
    for postal in postal_codes:
        session.add(PostalCode(postal_code=postal, commune_code=code))
    session.flush()
    return row
