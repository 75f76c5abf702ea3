"""SQLAlchemy tables of aiguillage and the dossier state table. No GraphQL, no HTTP here."""

from models.base import Base, UTCDateTime, utcnow
from models.dossiers import Dossier, DossierEvent, Operator
from models.enums import (
    ArchiveReason,
    DeclineReason,
    DossierEventKind,
    DossierStatus,
    Fees,
    Role,
    ServiceKind,
)
from models.mapping import Commune, CommuneSearchKey, PostalCode, ServiceOffering, Structure, map_state
from models.standard import SERVICE_LABELS
from models.statistics import AnonymousDossier, AnonymousStep

__all__ = [
    "SERVICE_LABELS",
    "AnonymousDossier",
    "AnonymousStep",
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
    "map_state",
    "utcnow",
]
