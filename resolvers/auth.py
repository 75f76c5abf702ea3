"""Operators, their bearer tokens, and who is acting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Operator, Role, Structure, utcnow
from models.dossiers import OPERATOR_NAME_MAX
from models.errors import InvalidInput, NotFound
from models.sync import stamp_changes

TOKEN_PREFIX = "aig_"  # noqa: S105 - a visible prefix, not a secret


@dataclass(frozen=True)
class Actor:
    operator_id: int
    name: str
    role: Role
    structure_id: int | None

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def authenticate(session: Session, token: str | None) -> Actor | None:
    """The actor behind a bearer token; unknown and revoked tokens are both simply None."""
    if not token:
        return None
    digest = hash_token(token)
    row = session.scalars(select(Operator).where(Operator.token_hash == digest)).first()
    # The lookup is by an unguessable digest; the constant-time compare guards the equality itself.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        return None
    return Actor(row.id, row.name, Role(row.role), row.structure_id)


def check_email(value: str, field: str = "--email") -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            field, f"{field} : adresse e-mail invalide, attendu par exemple prenom.nom@structure.fr"
        ) from None


def create_operator(
    session: Session, name: str, role: Role, structure_id: int | None, email: str | None = None
) -> tuple[Operator, str]:
    """A new operator and its bearer token, returned once: only its hash is stored."""
    name = " ".join(name.split())
    limit = OPERATOR_NAME_MAX
    if not name or len(name) > limit or not name.isprintable():
        raise InvalidInput(
            "name", f"name : un nom d'affichage non vide est attendu, {limit} caractères imprimables au plus"
        )
    address = check_email(email) if email is not None else None
    if role is Role.OPERATOR:
        if structure_id is None:
            raise InvalidInput(
                "structure", "--structure : un opérateur est rattaché à une structure (son id)"
            )
        structure = session.get(Structure, structure_id)
        if structure is None:
            raise NotFound(f"structure {structure_id} introuvable")
        if not structure.is_operator:
            raise InvalidInput(
                "structure",
                f"la structure {structure_id} n'est pas membre de la plateforme : "
                f"lancez d'abord `aiguillage structure enroll {structure_id}`",
            )
    elif structure_id is not None:
        raise InvalidInput("structure", "--structure : un coordinateur n'est rattaché à aucune structure")
    token = new_token()
    operator = Operator(
        name=name, role=role.value, structure_id=structure_id, token_hash=hash_token(token), email=address
    )
    session.add(operator)
    session.flush()
    return operator, token


def revoke_operator(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"opérateur {operator_id} introuvable")
    if operator.revoked_at is None:
        operator.revoked_at = utcnow()
    return operator


def set_notifications(session: Session, operator_id: int, on: bool) -> Operator:
    """Whether an operator receives e-mails about dossiers."""
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"opérateur {operator_id} introuvable")
    operator.notifications = on
    return operator


def enroll_structure(session: Session, structure_id: int) -> Structure:
    """Make a structure a platform member: it accepts orientations, and its offerings accept carnets."""
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise NotFound(f"structure {structure_id} introuvable")
    if not structure.is_operator:
        structure.is_operator = True
        for offering in structure.offerings:
            offering.accepts_carnet = True
        stamp_changes(session, [structure.id])
    return structure
