"""SQLAlchemy tables of aiguillage and the dossier state table. No GraphQL, no HTTP here."""

from models.base import Base, UTCDateTime, utcnow
from models.dossiers import Dossier, DossierEvent, Operator
from models.enums import (
    SERVICE_LABELS,
    ArchiveReason,
    DeclineReason,
    DossierEventKind,
    DossierStatus,
    Fees,
    Role,
    ServiceKind,
)
from models.mapping import Commune, CommuneSearchKey, PostalCode, ServiceOffering, Structure

__all__ = [
    "SERVICE_LABELS",
    "ArchiveReason",
    "Base",
    "Commune",
    "CommuneSearchKey",
    "DeclineReason",
    "Dossier",
    "DossierEvent",
    "DossierEventKind",
    "DossierStatus",
    "Fees",
    "Notification",
    "Operator",
    "PostalCode",
    "Role",
    "ServiceKind",
    "ServiceOffering",
    "Structure",
    "UTCDateTime",
    "Webhook",
    "utcnow",
]
