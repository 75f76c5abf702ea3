"""From one record of a source file to a ``Place``: the values of a Structure and of its offerings.

Three readers, one per format family (national standard v1.0.2, national standard v0.1, France Services
list). A record is refused (``Refused``) only when no place can be made of it: no id, no name, or no
locality (neither a usable postal code nor an INSEE code). Anything else that is wrong is cleaned or
dropped with a warning, and the row is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from batch.imports import clean, vocab
from batch.imports.hours import UnreadableHours, opening_hours, osm_hours
from batch.imports.readers import (
    FORMAT_FRANCE_SERVICES,
    FORMAT_V0_CSV,
    FORMAT_V0_JSON,
    FORMAT_V1_CSV,
    FORMAT_V1_JSON,
    Record,
)
from geo.points import valid_point
from models.enums import Fees, ServiceKind
from models.hours import readable
from models.standard import ALLOWED, ENUM_FIELDS, EXTRA_FIELDS, V1_FEES, V1_MODALITIES

# The source of rows that do not name one. Both versions of the national standard share one default, so
# that a producer moving from v0.1 to v1 keeps its ids.
DEFAULT_SOURCES = {
    FORMAT_V1_CSV: "mediation-numerique",
    FORMAT_V1_JSON: "mediation-numerique",
    FORMAT_V0_CSV: "mediation-numerique",
    FORMAT_V0_JSON: "mediation-numerique",
    FORMAT_FRANCE_SERVICES: "france-services",
}

# Column widths of models.Structure: PostgreSQL enforces them, so values are cut to fit on both backends.
LIMITS = {
    "name": 300,
    "street": 300,
    "address_complement": 300,
    "city": 200,
    "phone": 100,
    "email": 500,
    "website": 1000,
    "typology": 300,
    "modalities": 500,
}
SOURCE_LIMIT = 100
SOURCE_ID_LIMIT = 200

# France Services are free by their charter, help people one to one with their procedures, and must give
# free access to computers and internet; hence two kinds, not one.
FRANCE_SERVICES_KINDS = (ServiceKind.ADMINISTRATIVE_PROCEDURES, ServiceKind.INTERNET_AND_EQUIPMENT_ACCESS)
FRANCE_SERVICES_STANDARD = {
    "frais_a_charge": ["Gratuit"],
    "dispositif_programmes_nationaux": ["France Services"],
    "modalites_accompagnement": ["En autonomie", "Accompagnement individuel"],
}


class Refused(Exception):
    """The record cannot make a place; the message names the field."""


@dataclass
class Place:
    row: int
    source: str
    source_id: str
    # Structure columns but the point, the commune and the département (settled by ``locate``).
    columns: dict[str, Any]
    latitude: float | None
    longitude: float | None
    insee_code: str | None
    department_hint: str | None
    kinds: list[ServiceKind]
    fees: Fees | None
    modalities: str | None
    carnet: bool
    warnings: list[str] = field(default_factory=list)
    hours_unreadable: bool = False


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _pipe_values(value: Any) -> list[str]:
    """A v1 multi-value field: "|" between values (a JSON list is accepted too)."""
    if isinstance(value, list):
        return _unique(item for item in (clean.one_line(v) for v in value) if item)
    raw = clean.text(value)
    if raw is None:
        return []
    return _unique(part.strip() for part in raw.split("|"))


_KIND_ORDER = tuple(ServiceKind)


def _kinds(labels: Iterable[str], warnings: list[str]) -> list[ServiceKind]:
    found: set[ServiceKind] = set()
    for label in labels:
        kind = vocab.service_kind(label)
        if kind is None:
            warnings.append(f"services : « {label} » inconnu, ignoré")
        else:
            found.add(kind)
    return [kind for kind in _KIND_ORDER if kind in found]


def _fees(labels: Iterable[str]) -> Fees | None:
    return vocab.least_free(
        V1_FEES[vocab.V1_FEES_INDEX[key]] for key in map(vocab.fold, labels) if key in vocab.V1_FEES_INDEX
    )


def _identity(
    data: dict[str, Any], id_field: str, name_field: str, default_source: str
) -> tuple[str, str, str]:
    source_id = clean.one_line(data.get(id_field))
    if source_id is None:
        raise Refused(f"{id_field} vide : un identifiant est requis")
    if len(source_id) > SOURCE_ID_LIMIT:
        raise Refused(f"{id_field} trop long ({len(source_id)} caractères, {SOURCE_ID_LIMIT} au plus)")
    name = clean.one_line(data.get(name_field), LIMITS["name"])
    if name is None:
        raise Refused(f"{name_field} vide : un nom est requis")
    source = clean.one_line(data.get("source"), SOURCE_LIMIT) or default_source
    return source, source_id, name


def _locality(
    data: dict[str, Any], postal_field: str, insee_field: str, warnings: list[str]
) -> tuple[str | None, str | None]:
    raw_postal, raw_insee = clean.one_line(data.get(postal_field)), clean.one_line(data.get(insee_field))
    postal, insee = clean.postal_code(raw_postal), clean.insee_code(raw_insee)
    if postal is None and insee is None:
        what = (
            f"{postal_field} « {raw_postal} » invalide (5 chiffres attendus)"
            if raw_postal
            else f"{postal_field} vide"
        )
        also = f"{insee_field} « {raw_insee} » invalide" if raw_insee else f"pas de {insee_field}"
        raise Refused(f"{what} et {also} : lieu sans commune")
    if raw_postal and postal is None:
        warnings.append(f"{postal_field} « {raw_postal} » invalide, ignoré")
    elif raw_postal and postal != raw_postal:
        warnings.append(f"{postal_field} « {raw_postal} » lu comme {postal}")
    if raw_insee and insee is None:
        warnings.append(f"{insee_field} « {raw_insee} » invalide, ignoré")
    return postal, insee


def _point(data: dict[str, Any], warnings: list[str]) -> tuple[float | None, float | None]:
    lat, lon = clean.coordinate(data.get("latitude")), clean.coordinate(data.get("longitude"))
    if lat is None and lon is None:
        return None, None
    if not valid_point(lat, lon):
        warnings.append(
            f"latitude/longitude ({data.get('latitude')}, {data.get('longitude')}) invalides, ignorées"
        )
        return None, None
    return lat, lon


def _common_columns(
    data: dict[str, Any], name: str, postal: str | None, warnings: list[str]
) -> dict[str, Any]:
    hours = osm_hours(clean.text(data.get("horaires")))
    if hours.warning:
        warnings.append(hours.warning)
    return {
        "name": name,
        "street": clean.one_line(data.get("adresse"), LIMITS["street"]) or "",
        "address_complement": clean.one_line(data.get("complement_adresse"), LIMITS["address_complement"]),
        "postal_code": postal or "",
        "city": clean.one_line(data.get("commune"), LIMITS["city"]) or "",
        "opening_hours": hours.value,
        "phone": clean.one_line(data.get("telephone"), LIMITS["phone"]),
        "website": clean.joined(clean.contacts(data.get("site_web"), urls=True), LIMITS["website"]),
        "pivot": clean.pivot(data.get("pivot")),
        "summary": clean.text(data.get("presentation_resume")),
        "description": clean.text(data.get("presentation_detail")),
        "source_updated_on": clean.day(data.get("date_maj")),
    }


# The values of each enumerated field by their folded spelling (``vocab.fold``).
_ALLOWED_INDEX = {name: {vocab.fold(label): label for label in labels} for name, labels in ALLOWED.items()}


def _standard_values(name: str, values: list[str], warnings: list[str]) -> list[str]:
    """The values of an enumerated field of v1.0.2 in the standard's spelling; others dropped with a warning."""
    if not values:
        return []
    allowed = _ALLOWED_INDEX[name]
    kept = []
    for value in values:
        label = allowed.get(vocab.fold(value))
        if label is None:
            warnings.append(f"{name} : « {value} » n'est pas une valeur du standard v1.0.2, ignorée")
        else:
            kept.append(label)
    return _unique(kept)


def _short(label: str) -> str:
    return label.split(" : ", 1)[0]


def _unreadable(columns: dict[str, Any]) -> bool:
    return bool(columns["opening_hours"]) and not readable(columns["opening_hours"])


def _standard(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Only the fields with values, in the order of the standard."""
    return {name: fields[name] for name in EXTRA_FIELDS if fields.get(name)}


def _single(value: Any) -> list[str]:
    cleaned = clean.one_line(value)
    return [cleaned] if cleaned else []


# The v1.0.2 fields that hold one value, and those that hold several ("|" between them).
_SINGLE_FIELDS = ("structure_parente", "fiche_acces_libre", "prise_rdv")
_MULTI_FIELDS = tuple(name for name in EXTRA_FIELDS if name not in _SINGLE_FIELDS)
_CHECKED_FIELDS = (*ENUM_FIELDS, "itinerance")


def _place(
    record: Record,
    identity: tuple[str, str],
    columns: dict[str, Any],
    point: tuple[float | None, float | None],
    insee: str | None,
    kinds: list[ServiceKind],
    fields: dict[str, list[str]],
    carnet: bool,
    warnings: list[str],
) -> Place:
    """The place of a record of either version of the national standard, once its fields are read into the
    standard's v1.0.2 ``fields``: the offerings' fees and modalities come from them."""
    return Place(
        row=record.row,
        source=identity[0],
        source_id=identity[1],
        columns=columns,
        latitude=point[0],
        longitude=point[1],
        insee_code=insee,
        department_hint=None,
        kinds=kinds,
        fees=_fees(fields["frais_a_charge"]),
        modalities=clean.joined(fields["modalites_accompagnement"], LIMITS["modalities"]),
        carnet=carnet,
        warnings=warnings,
        hours_unreadable=_unreadable(columns),
    )


def from_v1(record: Record, default_source: str) -> Place:
    data, warnings = record.data, list[str]()
    source, source_id, name = _identity(data, "id", "nom", default_source)
    postal, insee = _locality(data, "code_postal", "code_insee", warnings)
    point = _point(data, warnings)
    columns = _common_columns(data, name, postal, warnings)
    emails = clean.contacts(data.get("courriels") or data.get("courriel"))
    get = data.get
    multi = {name: [] if get(name) in _NOTHING else _pipe_values(get(name)) for name in _MULTI_FIELDS}
    multi.update({name: _single(get(name)) for name in _SINGLE_FIELDS})
    for name in _CHECKED_FIELDS:
        multi[name] = _standard_values(name, multi[name], warnings)
    columns.update(
        email=clean.joined(emails, LIMITS["email"]),
        typology=clean.joined(_pipe_values(data.get("typologie")), LIMITS["typology"]),
        standard=_standard(multi),
    )
    services = [
        part.strip() for part in (clean.text(data.get("services")) or "").replace(";", "|").split("|")
    ]
    labels = (
        multi["dispositif_programmes_nationaux"]
        + multi["formations_labels"]
        + multi["autres_formations_labels"]
    )
    kinds = _kinds(filter(None, services), warnings)
    carnet = vocab.mentions_carnet(labels)
    return _place(record, (source, source_id), columns, point, insee, kinds, multi, carnet, warnings)


# A field's value when the record has none: read as no value without cleaning it.
_NOTHING = (None, "")


def _keys(index: dict[str, str], also: Iterable[str] = ()) -> frozenset[str]:
    return frozenset([*index, *map(vocab.fold, also)])


# What may appear in each v0.1 field: its labels, their short forms, and the v1 spellings.
_CONDITION_KEYS = _keys(vocab.V0_CONDITIONS_INDEX, V1_FEES)
_LABEL_KEYS = _keys(vocab.V0_LABELS_INDEX)
_PUBLIC_KEYS = _keys(vocab.V0_PUBLICS_INDEX)
_MODALITY_KEYS = _keys(vocab.V0_MODALITIES_INDEX, V1_MODALITIES)


def _v0_values(value: Any, index: dict[str, str], keys: frozenset[str]) -> tuple[list[str], list[str]]:
    """The v0.1 labels of a field (canonical spelling, through ``index``) and the other values, as written."""
    raw = clean.text(value)
    if raw is None:
        return [], []
    labels, others = [], []
    for part in vocab.split_labels(raw, keys):
        canonical = index.get(vocab.fold(part))
        if canonical is None:
            others.append(part)
        else:
            labels.append(canonical)
    return _unique(labels), _unique(others)


def from_v0(record: Record, default_source: str) -> Place:
    data, warnings = record.data, list[str]()
    source, source_id, name = _identity(data, "id", "nom", default_source)
    postal, insee = _locality(data, "code_postal", "code_insee", warnings)
    lat, lon = _point(data, warnings)
    columns = _common_columns(data, name, postal, warnings)
    fields: dict[str, list[str]] = {name: [] for name in EXTRA_FIELDS}

    services = vocab.split_labels(clean.text(data.get("services")) or "", vocab.SERVICE_KEYS)
    kinds = _kinds(services, warnings)

    # The cnfs export spells the column "conditions_access".
    conditions_value = data.get("conditions_acces", data.get("conditions_access"))
    conditions, unknown = _v0_values(conditions_value, vocab.V0_CONDITIONS_INDEX, _CONDITION_KEYS)
    for label in conditions:
        fee = vocab.V0_CONDITIONS[label]
        if fee:
            fields["frais_a_charge"].append(fee)
    for value in unknown:
        key = vocab.fold(value)
        if key in vocab.V1_FEES_INDEX:
            fields["frais_a_charge"].append(vocab.V1_FEES_INDEX[key])
        else:
            warnings.append(f"conditions_acces : « {value} » inconnu, ignoré")
    carnet = any("pass numerique" in vocab.fold(label) for label in conditions)

    national, unknown = _v0_values(data.get("labels_nationaux"), vocab.V0_LABELS_INDEX, _LABEL_KEYS)
    for label in national:
        target, value = vocab.V0_LABELS[label]
        fields[target].append(value)
    fields["autres_formations_labels"] += unknown
    others = [part.strip() for part in (clean.text(data.get("labels_autres")) or "").split(";")]
    fields["autres_formations_labels"] += [part for part in others if part]
    carnet = carnet or vocab.mentions_carnet([*national, *unknown, *others])

    publics, unknown = _v0_values(data.get("publics_accueillis"), vocab.V0_PUBLICS_INDEX, _PUBLIC_KEYS)
    for label in publics:
        mapped = vocab.V0_PUBLICS[label]
        if mapped is not None:
            fields[mapped[0]].append(mapped[1])
        elif label not in vocab.V0_GENERAL_PUBLICS:
            warnings.append(
                f"publics_accueillis : « {_short(label)} » sans équivalent dans le standard v1.0.2, ignoré"
            )
    if unknown:
        warnings.append(f"publics_accueillis : {', '.join(f'« {v} »' for v in unknown)} inconnus, ignorés")

    modalities, unknown = _v0_values(
        data.get("modalites_accompagnement"), vocab.V0_MODALITIES_INDEX, _MODALITY_KEYS
    )
    fields["modalites_accompagnement"] = [vocab.V0_MODALITIES[label] for label in modalities]
    v1_modalities = {vocab.fold(value): value for value in V1_MODALITIES}
    for value in unknown:
        if vocab.fold(value) in v1_modalities:
            fields["modalites_accompagnement"].append(v1_modalities[vocab.fold(value)])
        else:
            warnings.append(f"modalites_accompagnement : « {value} » inconnu, ignoré")

    fields["structure_parente"] = _single(data.get("structure_parente"))
    fields["fiche_acces_libre"] = _single(data.get("accessibilite"))
    fields["prise_rdv"] = _single(data.get("prise_rdv"))
    fields = {name: _unique(values) for name, values in fields.items()}

    columns.update(
        email=clean.joined(clean.contacts(data.get("courriel") or data.get("courriels")), LIMITS["email"]),
        typology=clean.joined(
            _unique(
                p.strip() for p in (clean.text(data.get("typologie")) or "").replace(";", "|").split("|")
            ),
            LIMITS["typology"],
        ),
        standard=_standard(fields),
    )
    return _place(record, (source, source_id), columns, (lat, lon), insee, kinds, fields, carnet, warnings)


def from_france_services(record: Record, default_source: str) -> Place:
    data, warnings = record.data, list[str]()
    unreadable = False
    source, source_id, name = _identity(data, "id_fs", "lib_fs", default_source)
    postal, insee = _locality(data, "code_postal", "insee_com", warnings)
    lat, lon = _point(data, warnings)
    try:
        hours = opening_hours(data)
    except UnreadableHours as exc:
        warnings.append(str(exc))
        hours, unreadable = None, True
    roaming = clean.one_line(data.get("itinerance"))
    standard = {
        **FRANCE_SERVICES_STANDARD,
        "itinerance": ["Itinérant"] if roaming and vocab.fold(roaming) == "oui" else ["Fixe"],
    }
    columns = {
        "name": name,
        "street": clean.one_line(data.get("adresse"), LIMITS["street"]) or "",
        "address_complement": clean.one_line(data.get("complement_adresse"), LIMITS["address_complement"]),
        "postal_code": postal or "",
        "city": clean.one_line(data.get("lib_com"), LIMITS["city"]) or "",
        "opening_hours": hours,
        "phone": clean.one_line(data.get("telephone"), LIMITS["phone"]),
        "email": clean.joined(clean.contacts(data.get("mail")), LIMITS["email"]),
        "website": None,
        "pivot": None,
        # "RFS", Réseau France Services, in the typology of the standard.
        "typology": "RFS",
        "summary": None,
        "description": clean.text(data.get("commentaire")),
        "source_updated_on": None,
        "standard": _standard(standard),
    }
    return Place(
        row=record.row,
        source=source,
        source_id=source_id,
        columns=columns,
        latitude=lat,
        longitude=lon,
        insee_code=insee,
        department_hint=clean.department_code(data.get("insee_dep")),
        kinds=list(FRANCE_SERVICES_KINDS),
        fees=Fees.FREE,
        modalities="|".join(FRANCE_SERVICES_STANDARD["modalites_accompagnement"]),
        carnet=False,
        warnings=warnings,
        hours_unreadable=unreadable,
    )


READERS: dict[str, Callable[[Record, str], Place]] = {
    FORMAT_V1_CSV: from_v1,
    FORMAT_V1_JSON: from_v1,
    FORMAT_V0_CSV: from_v0,
    FORMAT_V0_JSON: from_v0,
    FORMAT_FRANCE_SERVICES: from_france_services,
}
