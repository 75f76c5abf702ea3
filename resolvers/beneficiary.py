"""The beneficiary's own view: with their name and carnet, where their dossier is, and nothing else.

The lookup is retrieval's own (``find_by_name_and_carnet``): same normalisation, same answer for a wrong
name and an unknown carnet, failures limited per client address instead of per operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import DossierStatus
from resolvers.attempts import STATUS_PER_ADDRESS, Limiter
from resolvers.dossiers import find_by_name_and_carnet

# While nobody holds the dossier (back in the coordinators' queue), no place is shown.
NO_HOLDER = frozenset({DossierStatus.RETURNED})


@dataclass(frozen=True)
class OwnStatus:
    status: DossierStatus
    structure_id: int | None


def beneficiary_status(
    session: Session,
    last_name: str,
    carnet_number: str,
    limiter: Limiter,
    client: str,
    carnet_pattern: str,
    example: str,
) -> OwnStatus:
    dossier = find_by_name_and_carnet(
        session,
        last_name,
        carnet_number,
        limiter,
        [f"{STATUS_PER_ADDRESS}:{client}"],
        carnet_pattern,
        example,
        name_field="lastName",
    )
    status = DossierStatus(dossier.status)
    return OwnStatus(status, None if status in NO_HOLDER else dossier.structure_id)
