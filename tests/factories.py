"""Plain factory functions for tests: fictional places, operators and dossiers."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from geo.points import set_point
from models import (
    Dossier,
    DossierStatus,
    Fees,
    Operator,
    Role,
    ServiceKind,
    ServiceOffering,
    Structure,
    utcnow,
)
from models.mapping import department_of
from resolvers.auth import Actor, create_operator
from resolvers.dossiers import fold_name

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


def operator_with_id(session: Session, actor: Actor) -> None:
    """An operator row matching a hand-made Actor (for use-case tests that bypass tokens)."""
    session.add(
        Operator(
            id=actor.operator_id,
            name=actor.name,
            role=actor.role.value,
            structure_id=actor.structure_id,
            token_hash=f"{actor.operator_id:064d}",
        )
    )
    session.flush()


def dossier(
    session: Session,
    structure_id: int,
    *,
    status: DossierStatus = DossierStatus.ORIENTED,
    carnet: str | None = None,
    last_name: str = "Martin",
    needs: tuple[ServiceKind, ...] = (),
    commune_code: str | None = None,
    since: datetime | None = None,
) -> Dossier:
    """``since``: when it entered its status (default now), to test waiting times."""
    n = next(_seq)
    now = since or utcnow()
    row = Dossier(
        carnet_number=carnet
        or f"{n % 1000:03d}{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}{chr(97 + n // 676 % 26)}",
        last_name=last_name,
        name_key=fold_name(last_name),
        commune_code=commune_code,
        needs=",".join(k.value for k in needs),
        structure_id=structure_id,
        status=status.value,
        version=1,
        oriented_at=now,
        taken_in_charge_at=now if status in (DossierStatus.TAKEN_IN_CHARGE, DossierStatus.ARCHIVED) else None,
        archived_at=now if status is DossierStatus.ARCHIVED else None,
        archive_reason="PATH_COMPLETED" if status is DossierStatus.ARCHIVED else None,
        status_since=now,
        last_activity_at=now,
    )
    session.add(row)
    session.flush()
    return row
