"""Places given by users: a point, an INSEE commune code or a postal code, resolved to one point.

A commune stands for its centre. A postal code stands for the centre of its communes (the mean of their
points: the codes that serve several communes serve small neighbouring ones); the three communes with
municipal arrondissements (Paris, Marseille, Lyon) share every postal code with one of their
arrondissements, so the arrondissement's point is taken, not the city's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.centre import mean_point
from geo.points import valid_point
from models import Commune, PostalCode
from models.errors import InvalidInput
from models.mapping import INSEE_COMMUNE_CODE, POSTAL_CODE

WITH_ARRONDISSEMENTS = frozenset({"75056", "13055", "69123"})


@dataclass(frozen=True)
class Place:
    """What the user gave; exactly one of the three is expected."""

    point: tuple[float, float] | None = None  # (latitude, longitude)
    commune_code: str | None = None
    postal_code: str | None = None


def check_point(latitude: float, longitude: float, field: str) -> tuple[float, float]:
    if latitude == 0.0 and longitude == 0.0:
        # In range, but what a device or a file sends when it has no position: never a place of ours.
        raise InvalidInput(
            field,
            f"{field} : le point (0, 0) est celui des positions inconnues (golfe de Guinée) ; indiquez le "
            "point recherché, un code commune ou un code postal",
        )
    if not valid_point(latitude, longitude):
        raise InvalidInput(
            field,
            f"{field} : attendu une latitude entre -90 et 90 et une longitude entre -180 et 180 "
            f"(degrés décimaux WGS84), reçu ({latitude!r}, {longitude!r})",
        )
    return latitude, longitude


def resolve_place(session: Session, place: Place, field: str = "near") -> tuple[float, float]:
    """The (latitude, longitude) a place stands for, or InvalidInput naming the field at fault."""
    values = {"point": place.point, "communeCode": place.commune_code, "postalCode": place.postal_code}
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        received = f"reçu {', '.join(given)}" if given else "aucun n'est renseigné"
        raise InvalidInput(
            field,
            f"{field} : indiquez exactement un des trois champs point, communeCode ou postalCode ({received})",
        )
    if place.point is not None:
        return check_point(*place.point, field=f"{field}.point")
    if place.commune_code is not None:
        return _commune_point(session, place.commune_code, f"{field}.communeCode")
    assert place.postal_code is not None
    return _postal_code_point(session, place.postal_code, f"{field}.postalCode")


def _commune_point(session: Session, raw: str, field: str) -> tuple[float, float]:
    code = raw.strip().upper()
    if not INSEE_COMMUNE_CODE.fullmatch(code):
        raise InvalidInput(
            field, f"{field} : attendu un code commune INSEE à 5 caractères (ex. 16015), reçu « {raw} »"
        )
    commune = session.get(Commune, code)
    if commune is None:
        raise InvalidInput(
            field, f"{field} : aucune commune de code INSEE « {code} » (attendu un code INSEE existant)"
        )
    if commune.latitude is None or commune.longitude is None:
        raise InvalidInput(
            field,
            f"{field} : la commune {commune.name} ({code}) n'a pas de coordonnées connues ; indiquez un point",
        )
    return commune.latitude, commune.longitude


def _postal_code_point(session: Session, raw: str, field: str) -> tuple[float, float]:
    code = raw.strip()
    if not POSTAL_CODE.fullmatch(code):
        raise InvalidInput(
            field, f"{field} : attendu un code postal à 5 chiffres (ex. 16000), reçu « {raw} »"
        )
    communes = session.execute(
        select(Commune.code, Commune.latitude, Commune.longitude)
        .join(PostalCode, PostalCode.commune_code == Commune.code)
        .where(PostalCode.postal_code == code)
        .order_by(Commune.code)
    ).all()
    if not communes:
        raise InvalidInput(
            field, f"{field} : aucun code postal « {code} » connu (attendu un code postal existant)"
        )
    located = [(lat, lon) for c, lat, lon in communes if lat is not None and lon is not None]
    narrower = [
        (lat, lon)
        for c, lat, lon in communes
        if lat is not None and lon is not None and c not in WITH_ARRONDISSEMENTS
    ]
    points = narrower or located
    if not points:
        raise InvalidInput(
            field, f"{field} : les communes du code postal {code} n'ont pas de coordonnées connues"
        )
    return mean_point(points)
