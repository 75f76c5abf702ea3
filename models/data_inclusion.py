"""THE vocabulary of the data·inclusion schema v1 (``../shared/data/schema/data-inclusion-v1/``) as it meets ours:
one explicit table per field, read by the data·inclusion export (``resolvers/data_inclusion.py``).

Decisions:

- ``thematiques``: the four ``numerique--*`` themes cover our nine kinds; parenting also reads as
  ``famille--soutien-a-la-parentalite-et-a-leducation``, professional integration as
  ``trouver-un-emploi--repondre-a-des-offres-demploi``.
- ``frais``: data·inclusion knows « gratuit » and « payant » only; « Gratuit sous condition » goes to
  ``frais_precisions`` with no ``frais`` rather than promising a free service.
- ``publics``: ours map one to one; any specific support for a disability reads as
  ``personnes-en-situation-de-handicap``; a place that names no public is ``tous-publics`` (digital mediation
  is open to everyone unless said otherwise).
- ``modes_accueil``: « À distance » alone is remote; anything else is in person.
- ``type``: equipment and access kinds are « aide-materielle »; a place that only runs workshops gives
  « atelier »; otherwise « accompagnement ».
"""

from __future__ import annotations

from models.enums import AccessMode, Fees, Public, ServiceKind, SpecificSupport, SupportMode

THEMES: dict[ServiceKind, tuple[str, ...]] = {
    ServiceKind.ADMINISTRATIVE_PROCEDURES: ("numerique--acceder-a-des-services-en-ligne",),
    ServiceKind.EVERYDAY_DIGITAL_TOOLS: ("numerique--maitriser-les-fondamentaux-du-numerique",),
    ServiceKind.PROFESSIONAL_INTEGRATION: (
        "numerique--maitriser-les-fondamentaux-du-numerique",
        "trouver-un-emploi--repondre-a-des-offres-demploi",
    ),
    ServiceKind.SAFE_DIGITAL_USE: ("numerique--maitriser-les-fondamentaux-du-numerique",),
    ServiceKind.PARENTING_AND_EDUCATION: (
        "numerique--maitriser-les-fondamentaux-du-numerique",
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    ServiceKind.DIGITAL_LEISURE_AND_CREATION: ("numerique--maitriser-les-fondamentaux-du-numerique",),
    ServiceKind.UNDERSTANDING_DIGITAL_WORLD: ("numerique--maitriser-les-fondamentaux-du-numerique",),
    ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS: ("numerique--acceder-a-une-connexion-internet",),
    ServiceKind.AFFORDABLE_EQUIPMENT: ("numerique--acquerir-un-equipement",),
}
MATERIAL_KINDS = frozenset({ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS, ServiceKind.AFFORDABLE_EQUIPMENT})

FEES: dict[Fees, str | None] = {Fees.FREE: "gratuit", Fees.FREE_UNDER_CONDITIONS: None, Fees.PAID: "payant"}

PUBLICS: dict[Public, str] = {
    Public.YOUTH: "jeunes",
    Public.STUDENTS: "etudiants",
    Public.FAMILIES: "familles",
    Public.SENIORS: "seniors",
    Public.WOMEN: "femmes",
}
DISABILITY = "personnes-en-situation-de-handicap"
DISABILITIES = frozenset(
    {
        SpecificSupport.DEAFNESS,
        SpecificSupport.MOTOR_DISABILITY,
        SpecificSupport.MENTAL_DISABILITY,
        SpecificSupport.VISUAL_IMPAIRMENT,
    }
)
EVERYONE = "tous-publics"

MOBILISATION: dict[AccessMode, str] = {
    AccessMode.WALK_IN: "se-presenter",
    AccessMode.PHONE: "telephoner",
    AccessMode.EMAIL: "envoyer-un-courriel",
    AccessMode.PRESCRIPTION_BY_EMAIL: "envoyer-un-courriel",
    AccessMode.ONLINE_APPOINTMENT: "utiliser-lien-mobilisation",
}
REMOTE_ONLY = frozenset({SupportMode.REMOTE})

# dispositif_programmes_nationaux and formations_labels of the national standard → ReseauPorteur.
NETWORKS: dict[str, str] = {
    "Aidants Connect": "aidants-connect",
    "Conseillers numériques": "conseillers-numeriques",
    "France Services": "france-service",
    "Grande école du numérique": "grandes-ecoles-du-numerique",
    "La Croix Rouge": "croix-rouge",
    "Emmaüs Connect": "emmaus",
    "Relais numérique (Emmaüs Connect)": "emmaus",
    "Point d'accès numérique CAF": "caf",
    "Fabriques de Territoire": "fabrique-de-territoire",
}
