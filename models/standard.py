"""THE vocabulary of the national standard for digital-mediation places, v1.0.2
(``../shared/data/schema/lieux-mediation-numerique-schema-v1.0.2.json``): its columns, separator, service and
fee labels, the values of its enumerated fields, its identifier pattern. The importers and the exports both
read this module; the v0.1 → v1 decisions are the importers' own (``batch/imports/vocab.py``).
"""

from __future__ import annotations

import re

from models.enums import Fees, ServiceKind

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

# The values the standard's enumerated fields accept, as its patterns spell them.
ALLOWED: dict[str, tuple[str, ...]] = {
    "itinerance": ("Itinérant", "Fixe"),
    "publics_specifiquement_adresses": ("Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes"),
    "prise_en_charge_specifique": (
        "Surdité",
        "Handicaps moteurs",
        "Handicaps mentaux",
        "Illettrisme",
        "Langues étrangères (anglais)",
        "Langues étrangères (autres)",
        "Déficience visuelle",
    ),
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
    "modalites_acces": (
        "Se présenter",
        "Téléphoner",
        "Contacter par mail",
        "Prendre un RDV en ligne",
        "Ce lieu n'accueille pas de public",
        "Envoyer un mail avec une fiche de prescription",
    ),
    "modalites_accompagnement": (
        "En autonomie",
        "Accompagnement individuel",
        "Dans un atelier collectif",
        "À distance",
    ),
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
