"""Plain factory functions for tests: fictional places, operators and dossiers."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from geo.points import set_point
from models import Fees, Role, ServiceKind, ServiceOffering, Structure
from models.mapping import department_of
from resolvers.auth import create_operator

_seq = itertools.count(1)


def structure(
    session: Session,
    name: str | None = None,
    *,
    lat: float | None = 45.65,
    lon: float | None = 0.16,
    kinds: tuple[ServiceKind, ...] = (ServiceKind.ADMINISTRATIVE_PROCEDURES,),
    operator: bool = False,
    commune_code: str = "16015",
    postal_code: str = "16000",
    accepts_carnet: bool | None = None,
    source: str = "test",
) -> Structure:
    n = next(_seq)
    row = Structure(
        source=source,
        source_id=f"s{n}",
        name=name or f"Lieu {n}",
        street=f"{n} rue des Tests",
        postal_code=postal_code,
        city="Angoulême",
        commune_code=commune_code,
        department_code=department_of(commune_code),
        is_operator=operator,
        standard={},
    )
    set_point(row, lat, lon)
    for kind in kinds:
        offering = ServiceOffering(
            kind=kind.value,
            fees=Fees.FREE.value,
            accepts_carnet=operator if accepts_carnet is None else accepts_carnet,
        )
        set_point(offering, lat, lon)
        row.offerings.append(offering)
    session.add(row)
    session.flush()
    return row


def operator(session: Session, structure_row: Structure | None, name: str = "Camille Test") -> str:
    """Creates an operator (a coordinator when no structure) and returns its bearer token."""
    role = Role.OPERATOR if structure_row is not None else Role.COORDINATOR
    _, token = create_operator(session, name, role, structure_row.id if structure_row else None)
    return token
