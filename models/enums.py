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
        from models.standard import SERVICE_LABELS  # the standard's vocabulary imports these enums

        return SERVICE_LABELS[self]


class Public(enum.Enum):
    """publics_specifiquement_adresses of the national standard (labels in models/standard.py)."""

    YOUTH = "YOUTH"
    STUDENTS = "STUDENTS"
    FAMILIES = "FAMILIES"
    SENIORS = "SENIORS"
    WOMEN = "WOMEN"


class SpecificSupport(enum.Enum):
    """prise_en_charge_specifique of the national standard."""

    DEAFNESS = "DEAFNESS"
    MOTOR_DISABILITY = "MOTOR_DISABILITY"
    MENTAL_DISABILITY = "MENTAL_DISABILITY"
    ILLITERACY = "ILLITERACY"
    FOREIGN_LANGUAGES_ENGLISH = "FOREIGN_LANGUAGES_ENGLISH"
    FOREIGN_LANGUAGES_OTHER = "FOREIGN_LANGUAGES_OTHER"
    VISUAL_IMPAIRMENT = "VISUAL_IMPAIRMENT"


class AccessMode(enum.Enum):
    """modalites_acces of the national standard."""

    WALK_IN = "WALK_IN"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ONLINE_APPOINTMENT = "ONLINE_APPOINTMENT"
    NOT_OPEN_TO_PUBLIC = "NOT_OPEN_TO_PUBLIC"
    PRESCRIPTION_BY_EMAIL = "PRESCRIPTION_BY_EMAIL"


class SupportMode(enum.Enum):
    """modalites_accompagnement of the national standard."""

    SELF_SERVICE = "SELF_SERVICE"
    ONE_TO_ONE = "ONE_TO_ONE"
    GROUP_WORKSHOP = "GROUP_WORKSHOP"
    REMOTE = "REMOTE"


class Fees(enum.Enum):
    FREE = "FREE"
    FREE_UNDER_CONDITIONS = "FREE_UNDER_CONDITIONS"
    PAID = "PAID"


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


# The user guide's words for each reason (the console shows them).
ARCHIVE_REASON_LABELS: dict[ArchiveReason, str] = {
    ArchiveReason.BENEFICIARY_DECLINED: "Le.a bénéficiaire ne souhaite plus suivre de parcours",
    ArchiveReason.BENEFICIARY_UNABLE: "Le.a bénéficiaire ne peut pas ou plus suivre de parcours",
    ArchiveReason.PATH_COMPLETED: "Parcours terminé",
    ArchiveReason.UNREACHABLE: "Bénéficiaire injoignable",
    ArchiveReason.DUPLICATE: "Doublon",
    ArchiveReason.OTHER: "Autre motif (précisez dans la note)",
}

# The user guide's tabs: « Orientation (1) · Prise en charge (6) · Archives (1) ».
STATUS_TAB_LABELS: dict[DossierStatus, str] = {
    DossierStatus.ORIENTED: "Orientation",
    DossierStatus.TAKEN_IN_CHARGE: "Prise en charge",
    DossierStatus.ARCHIVED: "Archives",
    DossierStatus.RETURNED: "À réorienter",
}


class DeclineReason(enum.Enum):
    OUTSIDE_OUR_AREA = "OUTSIDE_OUR_AREA"
    SERVICE_NOT_OFFERED = "SERVICE_NOT_OFFERED"
    NO_CAPACITY = "NO_CAPACITY"
    ALREADY_FOLLOWED_ELSEWHERE = "ALREADY_FOLLOWED_ELSEWHERE"
    OTHER = "OTHER"


# Why a structure declines a dossier (the console's words).
DECLINE_REASON_LABELS: dict[DeclineReason, str] = {
    DeclineReason.OUTSIDE_OUR_AREA: "Hors de notre territoire",
    DeclineReason.SERVICE_NOT_OFFERED: "Nous ne proposons pas ce service",
    DeclineReason.NO_CAPACITY: "Plus de place pour le moment",
    DeclineReason.ALREADY_FOLLOWED_ELSEWHERE: "Déjà accompagné.e ailleurs",
    DeclineReason.OTHER: "Autre motif (précisez dans la note)",
}


class DossierEventKind(enum.Enum):
    ORIENTED = "ORIENTED"
    TAKEN_IN_CHARGE = "TAKEN_IN_CHARGE"
    REORIENTED = "REORIENTED"
    ARCHIVED = "ARCHIVED"
    CLAIMED = "CLAIMED"
    DECLINED = "DECLINED"
    REMINDED = "REMINDED"
    EXPIRED = "EXPIRED"


EVENT_LABELS: dict[DossierEventKind, str] = {
    DossierEventKind.ORIENTED: "Orienté",
    DossierEventKind.TAKEN_IN_CHARGE: "Pris en charge",
    DossierEventKind.REORIENTED: "Réorienté",
    DossierEventKind.ARCHIVED: "Archivé",
    DossierEventKind.CLAIMED: "Dossier récupéré",
    DossierEventKind.DECLINED: "Refusé par la structure",
    DossierEventKind.REMINDED: "Relance envoyée",
    DossierEventKind.EXPIRED: "Sans réponse : renvoyé à la coordination",
}


class Role(enum.Enum):
    OPERATOR = "OPERATOR"
    COORDINATOR = "COORDINATOR"
