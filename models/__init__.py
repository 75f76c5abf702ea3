"""SQLAlchemy tables of aiguillage and the dossier state table. No GraphQL, no HTTP here."""

from models.base import Base, UTCDateTime, utcnow
from models.dossiers import Dossier, DossierEvent, Operator
from models.enums import (
    AccessMode,
    ArchiveReason,
    DeclineReason,
    DossierEventKind,
    DossierStatus,
    Fees,
    Public,
    Role,
    ServiceKind,
    SpecificSupport,
    SupportMode,
)
from models.mapping import (
    Commune,
    CommuneSearchKey,
    OpenInterval,
    PostalCode,
    ServiceOffering,
    Structure,
    kind_sets,
    map_state,
)
from models.standard import SERVICE_LABELS
from models.statistics import AnonymousDossier, AnonymousStep

__all__ = [
    "SERVICE_LABELS",
    "AccessMode",
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
    "OpenInterval",
    "Operator",
    "PostalCode",
    "Public",
    "Role",
    "ServiceKind",
    "ServiceOffering",
    "SpecificSupport",
    "Structure",
    "SupportMode",
    "UTCDateTime",
    "Webhook",
    "kind_sets",
    "map_state",
    "utcnow",
]
