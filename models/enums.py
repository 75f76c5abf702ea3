"""The domain's vocabularies. Values are stored by name."""

from __future__ import annotations

import enum


class ServiceKind(enum.Enum):
    ADMINISTRATIVE_PROCEDURES = "ADMINISTRATIVE_PROCEDURES"
    EVERYDAY_DIGITAL_TOOLS = "EVERYDAY_DIGITAL_TOOLS"
    PROFESSIONAL_INTEGRATION = "PROFESSIONAL_INTEGRATION"
    SAFE_DIGITAL_USE = "SAFE_DIGITAL_USE"
    PARENTING_AND_EDUCATION = "PARENTING_AND_EDUCATION"
    DIGITAL_LEISURE_AND_CREATION = "DIGITAL_LEISURE_AND_CREATION"
    UNDERSTANDING_DIGITAL_WORLD = "UNDERSTANDING_DIGITAL_WORLD"
    INTERNET_AND_EQUIPMENT_ACCESS = "INTERNET_AND_EQUIPMENT_ACCESS"
    AFFORDABLE_EQUIPMENT = "AFFORDABLE_EQUIPMENT"

    @property
    def label(self) -> str:
        return SERVICE_LABELS[self]


# The `services` of the national standard v1.0.2, verbatim.
SERVICE_LABELS: dict[ServiceKind, str] = {
    ServiceKind.ADMINISTRATIVE_PROCEDURES: "Aide aux démarches administratives",
    ServiceKind.EVERYDAY_DIGITAL_TOOLS: "Maîtrise des outils numériques du quotidien",
    ServiceKind.PROFESSIONAL_INTEGRATION: "Insertion professionnelle via le numérique",
    ServiceKind.SAFE_DIGITAL_USE: "Utilisation sécurisée du numérique",
    ServiceKind.PARENTING_AND_EDUCATION: "Parentalité et éducation avec le numérique",
    ServiceKind.DIGITAL_LEISURE_AND_CREATION: "Loisirs et créations numériques",
    ServiceKind.UNDERSTANDING_DIGITAL_WORLD: "Compréhension du monde numérique",
    ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS: "Accès internet et matériel informatique",
    ServiceKind.AFFORDABLE_EQUIPMENT: "Acquisition de matériel informatique à prix solidaire",
}
KIND_BY_LABEL: dict[str, ServiceKind] = {label: kind for kind, label in SERVICE_LABELS.items()}


class Fees(enum.Enum):
    FREE = "FREE"
    FREE_UNDER_CONDITIONS = "FREE_UNDER_CONDITIONS"
    PAID = "PAID"


FEES_LABELS: dict[Fees, str] = {
    Fees.FREE: "Gratuit",
    Fees.FREE_UNDER_CONDITIONS: "Gratuit sous condition",
    Fees.PAID: "Payant",
}


class DossierStatus(enum.Enum):
    ORIENTED = "ORIENTED"
    TAKEN_IN_CHARGE = "TAKEN_IN_CHARGE"
    ARCHIVED = "ARCHIVED"
    # Declined by the structure it was oriented to, or expired there: the coordinators' queue.
    RETURNED = "RETURNED"


class ArchiveReason(enum.Enum):
    BENEFICIARY_DECLINED = "BENEFICIARY_DECLINED"
    BENEFICIARY_UNABLE = "BENEFICIARY_UNABLE"
    PATH_COMPLETED = "PATH_COMPLETED"
    UNREACHABLE = "UNREACHABLE"
    DUPLICATE = "DUPLICATE"
    OTHER = "OTHER"


class DeclineReason(enum.Enum):
    OUTSIDE_OUR_AREA = "OUTSIDE_OUR_AREA"
    SERVICE_NOT_OFFERED = "SERVICE_NOT_OFFERED"
    NO_CAPACITY = "NO_CAPACITY"
    ALREADY_FOLLOWED_ELSEWHERE = "ALREADY_FOLLOWED_ELSEWHERE"
    OTHER = "OTHER"


class DossierEventKind(enum.Enum):
    ORIENTED = "ORIENTED"
    TAKEN_IN_CHARGE = "TAKEN_IN_CHARGE"
    REORIENTED = "REORIENTED"
    ARCHIVED = "ARCHIVED"
    CLAIMED = "CLAIMED"
    DECLINED = "DECLINED"
    REMINDED = "REMINDED"
    EXPIRED = "EXPIRED"


class Role(enum.Enum):
    OPERATOR = "OPERATOR"
    COORDINATOR = "COORDINATOR"
