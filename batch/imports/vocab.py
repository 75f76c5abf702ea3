"""The vocabularies of the sources and THE mapping from the v0.1 standard to v1.0.2.

Every v0.1 → v1 decision lives in this module, as explicit tables, so that it can be read and argued
about in one place. Keys are the v0.1 labels verbatim (schema v0.1.1); lookups go through ``fold`` so
that case, accents, typographic apostrophes and spacing do not matter.

Services (fifteen v0.1 labels → nine v1 kinds). The v1 standard regrouped the v0.1 services:

- both administrative labels, and health procedures (ameli, Mon Espace Santé are online procedures),
  become "Aide aux démarches administratives";
- the three "take in hand / everyday use" labels become "Maîtrise des outils numériques du quotidien";
- "Approfondir ma culture numérique" and "Promouvoir la citoyenneté numérique" (critical reading,
  rights and duties online) become "Compréhension du monde numérique";
- entrepreneurship is professional integration;
- "Accéder à une connexion internet" and "Accéder à du matériel" become the one access kind, while
  "S'équiper en matériel informatique" (buying equipment) is the affordable-equipment kind.

No v0.1 label means "Utilisation sécurisée du numérique", so v0.1 data never yields SAFE_DIGITAL_USE.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from models.enums import Fees, ServiceKind
from models.standard import KIND_BY_LABEL, V1_FEES

V0_SERVICES: dict[str, ServiceKind] = {
    "Devenir autonome dans les démarches administratives": ServiceKind.ADMINISTRATIVE_PROCEDURES,
    "Réaliser des démarches administratives avec un accompagnement": ServiceKind.ADMINISTRATIVE_PROCEDURES,
    "Accompagner les démarches de santé": ServiceKind.ADMINISTRATIVE_PROCEDURES,
    "Prendre en main un smartphone ou une tablette": ServiceKind.EVERYDAY_DIGITAL_TOOLS,
    "Prendre en main un ordinateur": ServiceKind.EVERYDAY_DIGITAL_TOOLS,
    "Utiliser le numérique au quotidien": ServiceKind.EVERYDAY_DIGITAL_TOOLS,
    "Approfondir ma culture numérique": ServiceKind.UNDERSTANDING_DIGITAL_WORLD,
    "Promouvoir la citoyenneté numérique": ServiceKind.UNDERSTANDING_DIGITAL_WORLD,
    "Favoriser mon insertion professionnelle": ServiceKind.PROFESSIONAL_INTEGRATION,
    "Créer et développer mon entreprise": ServiceKind.PROFESSIONAL_INTEGRATION,
    "Accéder à une connexion internet": ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS,
    "Accéder à du matériel": ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS,
    "S'équiper en matériel informatique": ServiceKind.AFFORDABLE_EQUIPMENT,
    "Créer avec le numérique": ServiceKind.DIGITAL_LEISURE_AND_CREATION,
    "Soutenir la parentalité et l'éducation avec le numérique": ServiceKind.PARENTING_AND_EDUCATION,
}

# v0.1 publics_accueillis → (v1 field, v1 value). "Adultes" is no specific public; "Public langues
# étrangères" (English or other?) and "Handicaps psychiques" have no v1 equivalent: they are dropped.
V0_PUBLICS: dict[str, tuple[str, str] | None] = {
    "Seniors (+ 65 ans)": ("publics_specifiquement_adresses", "Seniors"),
    "Familles/enfants": ("publics_specifiquement_adresses", "Familles et/ou enfants"),
    "Adultes": None,
    "Jeunes (16-26 ans)": ("publics_specifiquement_adresses", "Jeunes"),
    "Uniquement femmes": ("publics_specifiquement_adresses", "Femmes"),
    "Public langues étrangères": None,
    "Déficience visuelle": ("prise_en_charge_specifique", "Déficience visuelle"),
    "Surdité": ("prise_en_charge_specifique", "Surdité"),
    "Handicaps psychiques : troubles psychiatriques donnant lieu à des atteintes comportementales": None,
    "Handicaps mentaux : déficiences limitant les activités d'une personne": (
        "prise_en_charge_specifique",
        "Handicaps mentaux",
    ),
    "Personnes en situation d'illettrisme": ("prise_en_charge_specifique", "Illettrisme"),
}

# The v0.1 publics that say "everyone" rather than a public the place addresses specifically: no warning.
V0_GENERAL_PUBLICS = frozenset({"Adultes"})

# v0.1 conditions_acces → v1 frais_a_charge. A membership ("Adhésion") is a fee. The Pass numérique
# entry is no fee: it makes the place accept carnets (see CARNET_MARKERS).
V0_CONDITIONS: dict[str, str | None] = {
    "Gratuit : Je peux accéder gratuitement au lieu et à ses services": "Gratuit",
    "Gratuit sous condition : La gratuité est conditionnée à des critères (situation familiale, "
    "convention avec un organisme social...)": "Gratuit sous condition",
    "Payant : L'accès au lieu et/ou à ses services est payant": "Payant",
    "Accepte le Pass numérique : Il est possible d'utiliser un Pass numérique pour accéder au lieu": None,
    "Adhésion : L'accès au lieu et/ou à ses services nécessite d'y adhérer": "Payant",
}

# v0.1 labels_nationaux → (v1 field, v1 value). v1 has no APTIC / Pass numérique entry: it goes to the
# free-text labels, and it marks the place as accepting carnets.
V0_LABELS: dict[str, tuple[str, str]] = {
    "France Services": ("dispositif_programmes_nationaux", "France Services"),
    "CNFS": ("dispositif_programmes_nationaux", "Conseillers numériques"),
    "APTIC": ("autres_formations_labels", "APTIC"),
    "Aidants Connect": ("dispositif_programmes_nationaux", "Aidants Connect"),
    "Fabriques de Territoire": ("formations_labels", "Fabriques de Territoire"),
    "Grandes écoles du numérique": ("dispositif_programmes_nationaux", "Grande école du numérique"),
    "Point relais CAF": ("dispositif_programmes_nationaux", "Point d'accès numérique CAF"),
    "Point numérique CAF": ("dispositif_programmes_nationaux", "Point d'accès numérique CAF"),
    "Relais pôle emploi": ("autres_formations_labels", "Relais pôle emploi"),
    "French Tech": ("autres_formations_labels", "French Tech"),
    "Campus connecté": ("autres_formations_labels", "Campus connecté"),
}

# v0.1 modalites_accompagnement → v1. v1 dropped "à ma place"; doing it for the person is individual help.
V0_MODALITIES: dict[str, str] = {
    "Seul : j'ai accès à du matériel et une connexion": "En autonomie",
    "Avec de l'aide : je suis accompagné seul dans l'usage du numérique": "Accompagnement individuel",
    "Dans un atelier : j'apprends collectivement à utiliser le numérique": "Dans un atelier collectif",
    "A ma place : une personne habilitée fait les démarches à ma place": "Accompagnement individuel",
}


# When several fees are given, the offering shows the least free one: a place listing "Gratuit" and
# "Payant" may charge, and the map must not promise a free service.
FEES_ORDER: tuple[Fees, ...] = (Fees.FREE, Fees.FREE_UNDER_CONDITIONS, Fees.PAID)

# Labels that make a place accept carnets (Pass numérique is sold under the APTIC brand).
CARNET_MARKERS = ("aptic", "pass numerique")


@functools.lru_cache(maxsize=8192)
def fold(value: str) -> str:
    """Case, accents, apostrophe style and spacing removed: the key for comparing labels and names."""
    decomposed = unicodedata.normalize("NFKD", value.replace("’", "'").replace("`", "'"))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", ascii_only).strip().lower()


def _short(label: str) -> str:
    # v0.1 labels read "Short form : explanation"; some producers (the cnfs file) write the short form only.
    return label.split(" : ", 1)[0]


def _index(table: Mapping[str, object], with_short_forms: bool = False) -> dict[str, str]:
    index = {fold(label): label for label in table}
    if with_short_forms:
        for label in table:
            index.setdefault(fold(_short(label)), label)
    return index


_V0_SERVICES_INDEX = _index(V0_SERVICES)
_V1_SERVICES_INDEX = {fold(label): label for label in KIND_BY_LABEL}
_SERVICES_INDEX = {**_V0_SERVICES_INDEX, **_V1_SERVICES_INDEX}
V0_PUBLICS_INDEX = _index(V0_PUBLICS, with_short_forms=True)
V0_CONDITIONS_INDEX = _index(V0_CONDITIONS, with_short_forms=True)
V0_LABELS_INDEX = _index(V0_LABELS)
V0_MODALITIES_INDEX = _index(V0_MODALITIES, with_short_forms=True)
V1_FEES_INDEX = _index(V1_FEES)


@functools.lru_cache(maxsize=4096)
def service_kind(label: str) -> ServiceKind | None:
    """The v1 kind of a v0.1 or v1 service label, None when the label is unknown."""
    key = fold(label)
    if key in _V1_SERVICES_INDEX:
        return KIND_BY_LABEL[_V1_SERVICES_INDEX[key]]
    if key in _V0_SERVICES_INDEX:
        return V0_SERVICES[_V0_SERVICES_INDEX[key]]
    return None


def split_labels(value: str, known: frozenset[str]) -> list[str]:
    """Split an enumerated multi-value field written with "|", ";" or ", " between values.

    Some labels contain a comma themselves ("... (situation familiale, convention ...)"), so pieces split on
    commas are joined back when together they make a known label (compared with ``fold``). Unknown pieces
    are returned too, for the caller to report. ``known`` holds folded labels.
    """
    vocabulary = known
    found: list[str] = []
    for part in re.split(r"[|;]", value):
        part = part.strip()
        if not part:
            continue
        if fold(part) in vocabulary:
            found.append(part)
            continue
        pieces = part.split(",")
        start = 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):
                candidate = ",".join(pieces[start:end]).strip()
                if fold(candidate) in vocabulary:
                    found.append(candidate)
                    start = end
                    break
            else:
                candidate = pieces[start].strip()
                if candidate:
                    found.append(candidate)
                start += 1
    return found


SERVICE_KEYS = frozenset(_SERVICES_INDEX)


def least_free(fees: Iterable[Fees]) -> Fees | None:
    given = set(fees)
    return max(given, key=FEES_ORDER.index) if given else None


def mentions_carnet(values: Iterable[str]) -> bool:
    return any(marker in fold(value) for value in values for marker in CARNET_MARKERS)
