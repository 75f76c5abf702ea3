"""THE vocabulary of the national standard for digital-mediation places, v1.0.2
(``../shared/data/schema/lieux-mediation-numerique-schema-v1.0.2.json``): its columns, separator, service and
fee labels, the values of its enumerated fields, its identifier pattern. The importers and the exports both
read this module; the v0.1 → v1 decisions are the importers' own (``batch/imports/vocab.py``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any

from models.enums import AccessMode, Fees, Public, ServiceKind, SpecificSupport, SupportMode

# Multi-valued fields are joined with this character.
SEPARATOR = "|"

# Every column, in the standard's order (the CSV export writes them so).
V1_COLUMNS: tuple[str, ...] = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)

# The fields kept as they are in ``Structure.standard`` (lists of strings), the others having columns of their own.
EXTRA_FIELDS: tuple[str, ...] = (
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "itinerance",
    "structure_parente",
    "fiche_acces_libre",
    "prise_rdv",
)

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

FEES_LABELS: dict[Fees, str] = {
    Fees.FREE: "Gratuit",
    Fees.FREE_UNDER_CONDITIONS: "Gratuit sous condition",
    Fees.PAID: "Payant",
}
# Label → fee, for reading files.
V1_FEES: dict[str, Fees] = {label: fee for fee, label in FEES_LABELS.items()}

# The standard's enumerated fields that the API exposes as enums: value ↔ label, verbatim.
PUBLIC_LABELS: dict[Public, str] = {
    Public.YOUTH: "Jeunes",
    Public.STUDENTS: "Étudiants",
    Public.FAMILIES: "Familles et/ou enfants",
    Public.SENIORS: "Seniors",
    Public.WOMEN: "Femmes",
}
SPECIFIC_SUPPORT_LABELS: dict[SpecificSupport, str] = {
    SpecificSupport.DEAFNESS: "Surdité",
    SpecificSupport.MOTOR_DISABILITY: "Handicaps moteurs",
    SpecificSupport.MENTAL_DISABILITY: "Handicaps mentaux",
    SpecificSupport.ILLITERACY: "Illettrisme",
    SpecificSupport.FOREIGN_LANGUAGES_ENGLISH: "Langues étrangères (anglais)",
    SpecificSupport.FOREIGN_LANGUAGES_OTHER: "Langues étrangères (autres)",
    SpecificSupport.VISUAL_IMPAIRMENT: "Déficience visuelle",
}
ACCESS_MODE_LABELS: dict[AccessMode, str] = {
    AccessMode.WALK_IN: "Se présenter",
    AccessMode.PHONE: "Téléphoner",
    AccessMode.EMAIL: "Contacter par mail",
    AccessMode.ONLINE_APPOINTMENT: "Prendre un RDV en ligne",
    AccessMode.NOT_OPEN_TO_PUBLIC: "Ce lieu n'accueille pas de public",
    AccessMode.PRESCRIPTION_BY_EMAIL: "Envoyer un mail avec une fiche de prescription",
}
SUPPORT_MODE_LABELS: dict[SupportMode, str] = {
    SupportMode.SELF_SERVICE: "En autonomie",
    SupportMode.ONE_TO_ONE: "Accompagnement individuel",
    SupportMode.GROUP_WORKSHOP: "Dans un atelier collectif",
    SupportMode.REMOTE: "À distance",
}
# Field of the standard → its labels by enum value.
ENUM_FIELDS: dict[str, Mapping[Any, str]] = {
    "publics_specifiquement_adresses": PUBLIC_LABELS,
    "prise_en_charge_specifique": SPECIFIC_SUPPORT_LABELS,
    "modalites_acces": ACCESS_MODE_LABELS,
    "modalites_accompagnement": SUPPORT_MODE_LABELS,
}
MOBILE = "Itinérant"  # itinerance: a mobile place (bus, permanences on the road)

# The values the standard's enumerated fields accept, as its patterns spell them.
ALLOWED: dict[str, tuple[str, ...]] = {
    "itinerance": (MOBILE, "Fixe"),
    "publics_specifiquement_adresses": tuple(PUBLIC_LABELS.values()),
    "prise_en_charge_specifique": tuple(SPECIFIC_SUPPORT_LABELS.values()),
    "frais_a_charge": ("Gratuit", "Gratuit sous condition", "Payant"),
    "dispositif_programmes_nationaux": (
        "Aidants Connect",
        "Bibliothèques numérique de référence",
        "Certification PIX",
        "Conseillers numériques",
        "Emmaüs Connect",
        "France Services",
        "Grande école du numérique",
        "La Croix Rouge",
        "Point d'accès numérique CAF",
        "Promeneurs du net",
        "Relais numérique (Emmaüs Connect)",
    ),
    "formations_labels": (
        "Formé à « Mon Espace Santé »",
        "Formé à « DUPLEX » (illettrisme)",
        "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
        "Collectif ressources et acteurs réemploi (Normandie)",
        "Étapes numériques(La Poste)",
        "Fabriques de Territoire",
        "Les Éclaireurs du numérique (Drôme)",
        "Mes Papiers (Métropole de Lyon)",
        "ORDI 3.0",
        "SUD LABS (PACA)",
    ),
    "modalites_acces": tuple(ACCESS_MODE_LABELS.values()),
    "modalites_accompagnement": tuple(SUPPORT_MODE_LABELS.values()),
}
# Free-text fields of the standard that only Structure.standard holds.
FREE_TEXT = ("structure_parente", "autres_formations_labels", "fiche_acces_libre", "prise_rdv")
V1_MODALITIES: tuple[str, ...] = ALLOWED["modalites_accompagnement"]

# Fields that exist only in v1 (v0.1 spelt them otherwise or did not have them).
V1_ONLY = frozenset(
    {
        "courriels",
        "publics_specifiquement_adresses",
        "prise_en_charge_specifique",
        "frais_a_charge",
        "dispositif_programmes_nationaux",
        "formations_labels",
        "autres_formations_labels",
        "modalites_acces",
        "itinerance",
        "fiche_acces_libre",
    }
)

# The SIRET (14 digits) or SIREN (9) of the place, as the standard's `pivot` column spells it.
PIVOT = re.compile(r"[a-zA-Z0-9]{9,14}")


def enum_values(standard: Mapping[str, Any] | None, field: str) -> list[Any]:
    """The enum values of one of ``ENUM_FIELDS`` in a structure's published fields, in the enum's order."""
    labels = ENUM_FIELDS[field]
    given = set((standard or {}).get(field) or ())
    return [value for value, label in labels.items() if label in given]


def mask(values: Iterable[enum.Enum], of: type[enum.Enum]) -> int:
    """Bit ``i`` for the ``i``-th member of the enum: the filters' integer columns (``x & wanted != 0``)."""
    members = list(of)
    return sum(1 << members.index(value) for value in set(values))


# Label → its bit in the filter column (``mask``), per field: what ``standard_masks`` adds up, row after row.
_MASK_BITS: dict[str, tuple[str, dict[str, int]]] = {
    field: (column, {label: mask([value], of) for value, label in ENUM_FIELDS[field].items()})
    for field, column, of in (
        ("publics_specifiquement_adresses", "publics_mask", Public),
        ("prise_en_charge_specifique", "specific_support_mask", SpecificSupport),
    )
}


def standard_masks(standard: Mapping[str, Any] | None) -> dict[str, int]:
    """The filter columns of a structure (publics, specific support) from its published fields: the bits
    (``mask``) of the values of ``enum_values``."""
    masks = {}
    for field, (column, bits) in _MASK_BITS.items():
        given = (standard or {}).get(field) or ()
        masks[column] = sum(bits[label] for label in set(given) if label in bits)
    return masks
