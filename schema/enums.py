"""Every GraphQL enum of the API, in one module: the domain's enums exposed under their contract names."""

from __future__ import annotations

import enum

import strawberry

import models

ServiceKind = strawberry.enum(
    models.ServiceKind,
    name="ServiceKind",
    description="The nine services of the national standard for digital-mediation places (v1.0.2).",
)
Fees = strawberry.enum(models.Fees, name="Fees")
Public = strawberry.enum(
    models.Public,
    name="Public",
    description="publics_specifiquement_adresses of the national standard v1.0.2: Jeunes, Étudiants, "
    "Familles et/ou enfants, Seniors, Femmes.",
)
SpecificSupport = strawberry.enum(
    models.SpecificSupport,
    name="SpecificSupport",
    description="prise_en_charge_specifique of the national standard v1.0.2.",
)
AccessMode = strawberry.enum(
    models.AccessMode, name="AccessMode", description="modalites_acces of the national standard v1.0.2."
)
SupportMode = strawberry.enum(
    models.SupportMode,
    name="SupportMode",
    description="modalites_accompagnement of the national standard v1.0.2.",
)
DossierStatus = strawberry.enum(models.DossierStatus, name="DossierStatus")
ArchiveReason = strawberry.enum(models.ArchiveReason, name="ArchiveReason")
DossierEventKind = strawberry.enum(models.DossierEventKind, name="DossierEventKind")
DeclineReason = strawberry.enum(models.DeclineReason, name="DeclineReason")
Role = strawberry.enum(models.Role, name="Role")


@strawberry.enum
class ErrorCode(enum.Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_ALLOWED = "NOT_ALLOWED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INVALID_INPUT = "INVALID_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
