"""The real places of ../shared/data with a point, as seeds for the generator.

lieux-v0 (v0.1 field names, services as v0.1 labels) and the France services list. Kinds are mapped from
the v0.1 labels by keyword, roughly: the bench needs a realistic spread of kinds, not the importer's rules.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from models import ServiceKind

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

V0_KINDS: list[tuple[str, ServiceKind]] = [
    ("démarches", ServiceKind.ADMINISTRATIVE_PROCEDURES),
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
FRANCE_SERVICES_KINDS = (ServiceKind.ADMINISTRATIVE_PROCEDURES, ServiceKind.EVERYDAY_DIGITAL_TOOLS)


@dataclass(frozen=True)
class Seed:
    name: str
    street: str
    postal_code: str
    city: str
    commune_code: str | None
    latitude: float
    longitude: float
    kinds: tuple[ServiceKind, ...]


def _point(lat: object, lon: object) -> tuple[float, float] | None:
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if (
        not (math.isfinite(la) and math.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180)
        or la == lo == 0
    ):
        return None
    return la, lo


def _kinds(services: str | None) -> tuple[ServiceKind, ...]:
    found: list[ServiceKind] = []
    for part in (services or "").replace(";", ",").split(","):
        label = part.strip().lower()
        for keyword, kind in V0_KINDS:
            if keyword in label and kind not in found:
                found.append(kind)
    return tuple(found) or (ServiceKind.EVERYDAY_DIGITAL_TOOLS,)


def real_places() -> list[Seed]:
    seeds: list[Seed] = []
    seen: set[tuple[float, float, str]] = set()
    for path in sorted((SHARED_DATA / "lieux-v0").glob("*.json")):
        for raw in json.loads(path.read_text(encoding="utf-8")):
            point = _point(raw.get("latitude"), raw.get("longitude"))
            name = str(raw.get("nom") or "Lieu")[:200]
            if point is None or (*point, name) in seen:
                continue
            seen.add((*point, name))
            seeds.append(
                Seed(
                    name=name,
                    street=str(raw.get("adresse") or "")[:250],
                    postal_code=str(raw.get("code_postal") or "")[:5],
                    city=str(raw.get("commune") or "")[:150],
                    commune_code=str(raw.get("code_insee") or "")[:5] or None,
                    latitude=point[0],
                    longitude=point[1],
                    kinds=_kinds(raw.get("services")),
                )
            )
    with (SHARED_DATA / "france-services" / "liste-fs-20221201.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            point = _point(row.get("latitude"), row.get("longitude"))
            if point is None:
                continue
            seeds.append(
                Seed(
                    name=row["lib_fs"][:200],
                    street=row["adresse"][:250],
                    postal_code=row["code_postal"][:5],
                    city=row["lib_com"][:150],
                    commune_code=row["insee_com"][:5] or None,
                    latitude=point[0],
                    longitude=point[1],
                    kinds=FRANCE_SERVICES_KINDS,
                )
            )
    return seeds
