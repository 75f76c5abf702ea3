"""A small fictional territory in Charente for `aiguillage demo`: places, members, operators, dossiers.

Every place and person here is invented; only the communes' codes and centres are real geography.
Loading twice gives the same result: the previous demo rows are replaced.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.database import Database
from app.limits import MemoryLimiter
from batch.imports.communes import write_search_keys
from geo.points import set_point
from models import (
    ArchiveReason,
    Commune,
    DeclineReason,
    Dossier,
    DossierEvent,
    Fees,
    Operator,
    PostalCode,
    Role,
    ServiceKind,
    ServiceOffering,
    Structure,
    utcnow,
)
from models.mapping import department_of
from models.notifications import Notification
from models.standard import standard_masks
from models.sync import stamp_changes
from resolvers import dossiers as uc
from resolvers.auth import Actor, hash_token
from resolvers.hours import refresh_open_intervals

SOURCE = "demo"
K = ServiceKind

# code, name, postal code, latitude, longitude
COMMUNES = [
    ("16015", "Angoulême", "16000", 45.6484, 0.1562),
    ("16102", "Cognac", "16100", 45.6958, -0.3287),
    ("16374", "Soyaux", "16800", 45.6411, 0.1986),
    ("16113", "La Couronne", "16400", 45.6097, 0.0997),
    ("16286", "Ruelle-sur-Touvre", "16600", 45.6786, 0.2297),
    ("16154", "Gond-Pontouvre", "16160", 45.6728, 0.1656),
    ("16167", "Jarnac", "16200", 45.6808, -0.1750),
    ("16106", "Confolens", "16500", 46.0136, 0.6719),
    ("16292", "Ruffec", "16700", 46.0283, 0.1989),
    ("16028", "Barbezieux-Saint-Hilaire", "16300", 45.4728, -0.1536),
    ("16281", "La Rochefoucauld-en-Angoumois", "16110", 45.7406, 0.3850),
]

# name, commune code, kinds, member?
PLACES: list[tuple[str, str, tuple[ServiceKind, ...], bool]] = [
    (
        "Espace numérique du Soleil",
        "16015",
        (K.ADMINISTRATIVE_PROCEDURES, K.EVERYDAY_DIGITAL_TOOLS, K.SAFE_DIGITAL_USE),
        True,
    ),
    (
        "Médiathèque des Remparts",
        "16374",
        (K.EVERYDAY_DIGITAL_TOOLS, K.PARENTING_AND_EDUCATION, K.INTERNET_AND_EQUIPMENT_ACCESS),
        True,
    ),
    (
        "Tiers-lieu La Fabrique",
        "16102",
        (K.ADMINISTRATIVE_PROCEDURES, K.PROFESSIONAL_INTEGRATION, K.DIGITAL_LEISURE_AND_CREATION),
        True,
    ),
    ("Maison des solidarités du Plateau", "16015", (K.ADMINISTRATIVE_PROCEDURES,), False),
    (
        "Point info du Champ de Mars",
        "16015",
        (K.INTERNET_AND_EQUIPMENT_ACCESS, K.EVERYDAY_DIGITAL_TOOLS),
        False,
    ),
    ("Atelier Clic & Co", "16015", (K.DIGITAL_LEISURE_AND_CREATION, K.UNDERSTANDING_DIGITAL_WORLD), False),
    ("Centre social des Tilleuls", "16374", (K.ADMINISTRATIVE_PROCEDURES, K.PARENTING_AND_EDUCATION), False),
    ("Ressourcerie Octet Vert", "16374", (K.AFFORDABLE_EQUIPMENT,), False),
    (
        "Bibliothèque des Deux Rives",
        "16113",
        (K.EVERYDAY_DIGITAL_TOOLS, K.INTERNET_AND_EQUIPMENT_ACCESS),
        False,
    ),
    ("Foyer rural de la Couronne", "16113", (K.UNDERSTANDING_DIGITAL_WORLD,), False),
    ("Maison de quartier Les Fontaines", "16286", (K.ADMINISTRATIVE_PROCEDURES, K.SAFE_DIGITAL_USE), False),
    ("Cyber-base de la Touvre", "16286", (K.EVERYDAY_DIGITAL_TOOLS, K.DIGITAL_LEISURE_AND_CREATION), False),
    ("Relais emploi du Pontouvre", "16154", (K.PROFESSIONAL_INTEGRATION, K.ADMINISTRATIVE_PROCEDURES), False),
    ("Espace jeunes Le Lien", "16154", (K.PARENTING_AND_EDUCATION, K.SAFE_DIGITAL_USE), False),
    ("Médiathèque du Port", "16102", (K.EVERYDAY_DIGITAL_TOOLS, K.UNDERSTANDING_DIGITAL_WORLD), False),
    ("Guichet numérique des Chais", "16102", (K.ADMINISTRATIVE_PROCEDURES,), False),
    ("Repair café Cognaçais", "16102", (K.AFFORDABLE_EQUIPMENT, K.INTERNET_AND_EQUIPMENT_ACCESS), False),
    (
        "Maison des services de Jarnac",
        "16167",
        (K.ADMINISTRATIVE_PROCEDURES, K.EVERYDAY_DIGITAL_TOOLS),
        False,
    ),
    ("Club informatique des Aînés", "16167", (K.EVERYDAY_DIGITAL_TOOLS, K.SAFE_DIGITAL_USE), False),
    (
        "Espace public numérique du Confolentais",
        "16106",
        (K.EVERYDAY_DIGITAL_TOOLS, K.ADMINISTRATIVE_PROCEDURES),
        False,
    ),
    (
        "Bus numérique des Vallées",
        "16106",
        (K.ADMINISTRATIVE_PROCEDURES, K.INTERNET_AND_EQUIPMENT_ACCESS),
        False,
    ),
    ("Centre social du Ruffécois", "16292", (K.PARENTING_AND_EDUCATION, K.ADMINISTRATIVE_PROCEDURES), False),
    (
        "Atelier des Outils Libres",
        "16292",
        (K.UNDERSTANDING_DIGITAL_WORLD, K.DIGITAL_LEISURE_AND_CREATION),
        False,
    ),
    ("Mission locale du Sud", "16028", (K.PROFESSIONAL_INTEGRATION,), False),
    ("Médiathèque des Coteaux", "16028", (K.EVERYDAY_DIGITAL_TOOLS, K.INTERNET_AND_EQUIPMENT_ACCESS), False),
    ("Point numérique de la Tardoire", "16281", (K.ADMINISTRATIVE_PROCEDURES, K.SAFE_DIGITAL_USE), False),
    ("Ludothèque Pixel", "16281", (K.PARENTING_AND_EDUCATION, K.DIGITAL_LEISURE_AND_CREATION), False),
    (
        "Association Fil d'Ariane",
        "16015",
        (K.ADMINISTRATIVE_PROCEDURES, K.UNDERSTANDING_DIGITAL_WORLD),
        False,
    ),
    ("Épicerie solidaire et numérique", "16374", (K.AFFORDABLE_EQUIPMENT, K.EVERYDAY_DIGITAL_TOOLS), False),
    ("Permanence numérique de la mairie annexe", "16015", (K.ADMINISTRATIVE_PROCEDURES,), False),
    ("Lieu sans coordonnées (visible en liste)", "16292", (K.EVERYDAY_DIGITAL_TOOLS,), False),
]

# Fixed demo tokens, so that the README's walkthrough can be pasted as it is. Never use these elsewhere.
TOKENS = {
    "coordinator": ("Coordination démo (coordinator)", "demo-coordination"),
    0: ("Opératrice Espace numérique du Soleil", "demo-soleil"),
    1: ("Opérateur Médiathèque des Remparts", "demo-remparts"),
    2: ("Opératrice Tiers-lieu La Fabrique", "demo-fabrique"),
}

# Fictional beneficiaries: carnet, last name, first name, commune, needs
PEOPLE = [
    ("101abc", "Martin-Dubreuil", "Lucienne", "16015", (K.ADMINISTRATIVE_PROCEDURES,)),
    ("102abd", "Ferrand", "Jules", "16015", (K.EVERYDAY_DIGITAL_TOOLS,)),
    ("103abe", "N'Guessan", "Awa", "16374", (K.ADMINISTRATIVE_PROCEDURES, K.SAFE_DIGITAL_USE)),
    ("104abf", "Lebrun", "Marcel", "16286", (K.EVERYDAY_DIGITAL_TOOLS,)),
    ("105abg", "Da Costa", "Inès", "16154", (K.PROFESSIONAL_INTEGRATION,)),
    ("106abh", "Moreau", "Gisèle", "16015", (K.SAFE_DIGITAL_USE,)),
    ("107abi", "Thibault", "René", "16113", (K.ADMINISTRATIVE_PROCEDURES,)),
    ("108abj", "Œuvrard", "Maëlys", "16015", (K.EVERYDAY_DIGITAL_TOOLS, K.ADMINISTRATIVE_PROCEDURES)),
    ("109abk", "Garnier", "Paul", "16374", (K.PARENTING_AND_EDUCATION,)),
    ("110abl", "Benali", "Samira", "16374", (K.INTERNET_AND_EQUIPMENT_ACCESS,)),
    ("111abm", "Roussel", "Odette", "16102", (K.ADMINISTRATIVE_PROCEDURES,)),
    ("112abn", "Lefèvre", "Jeanne", "16102", (K.PROFESSIONAL_INTEGRATION, K.ADMINISTRATIVE_PROCEDURES)),
    ("314pqr", "Lemoine", "Claude", "16015", (K.ADMINISTRATIVE_PROCEDURES,)),
    ("113abo", "Fontaine", "Lucien", "16286", (K.EVERYDAY_DIGITAL_TOOLS,)),
    ("114abp", "Nguyen", "Linh", "16167", (K.ADMINISTRATIVE_PROCEDURES,)),
    ("115abq", "Perrin", "Yvette", "16281", (K.SAFE_DIGITAL_USE,)),
]


def _clear(session: Session) -> None:
    """Back to the demo's own dossiers: those of its beneficiaries and any held by its places go.

    The places and operators are not deleted but updated in place (``_places``, ``_operators``): what the
    demo's use left pointing at them (history events, other operators, statistics) keeps pointing at them,
    and their ids stay the same from one reload to the next.
    """
    carnets = [p[0] for p in PEOPLE]
    demo_places = select(Structure.id).where(Structure.source == SOURCE)
    ids = list(
        session.scalars(
            select(Dossier.id).where(
                or_(Dossier.carnet_number.in_(carnets), Dossier.structure_id.in_(demo_places))
            )
        )
    )
    session.execute(delete(Notification).where(Notification.dossier_id.in_(ids)))
    session.execute(delete(DossierEvent).where(DossierEvent.dossier_id.in_(ids)))
    session.execute(delete(Dossier).where(Dossier.id.in_(ids)))


def _assign(row: object, **values: object) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _communes(session: Session) -> dict[str, tuple[str, str, float, float]]:
    by_code = {}
    for code, name, postal, lat, lon in COMMUNES:
        by_code[code] = (name, postal, lat, lon)
        if session.get(Commune, code) is None:
            commune = Commune(code=code, name=name, department_code=department_of(code))
            set_point(commune, lat, lon)
            session.add(commune)
            session.flush()
            # The same search index as imported communes, so that the map completes the demo's names.
            write_search_keys(session, [{"code": code, "name": name}])
        if session.get(PostalCode, (postal, code)) is None:
            session.add(PostalCode(postal_code=postal, commune_code=code))
    return by_code


def _standard_fields(n: int, member: bool) -> dict[str, list[str]]:
    """The national standard's fields of the n-th demo place: enough variety for the map's filters."""
    fields = {
        "frais_a_charge": ["Gratuit"],
        "modalites_accompagnement": ["Dans un atelier collectif", "Accompagnement individuel"][: 1 + n % 2],
        "modalites_acces": ["Se présenter", "Téléphoner", "Prendre un RDV en ligne"][: 1 + n % 3],
        "publics_specifiquement_adresses": [
            ["Seniors"],
            ["Jeunes", "Étudiants"],
            ["Familles et/ou enfants"],
            [],
        ][n % 4],
        "prise_en_charge_specifique": [
            ["Surdité"],
            ["Langues étrangères (anglais)"],
            [],
            ["Illettrisme"],
            [],
        ][n % 5],
        "itinerance": ["Itinérant" if n % 10 == 7 else "Fixe"],
    }
    if member:
        fields["dispositif_programmes_nationaux"] = ["Conseillers numériques"]
        fields["prise_rdv"] = [f"https://rdv.example/lieu-{n:02d}"]
    if n % 3 == 0:
        fields["fiche_acces_libre"] = [f"https://acceslibre.example/lieu-{n:02d}"]
    return {name: values for name, values in fields.items() if values}


def _places(session: Session, communes: dict[str, tuple[str, str, float, float]]) -> list[Structure]:
    rng = random.Random(16)  # noqa: S311 - jitter for fictional places, not security
    existing = {
        row.source_id: row
        for row in session.scalars(
            select(Structure).where(Structure.source == SOURCE).options(selectinload(Structure.offerings))
        )
    }
    rows = []
    for n, (name, code, kinds, member) in enumerate(PLACES, start=1):
        city, postal, lat, lon = communes[code]
        row = existing.get(f"demo-{n:02d}") or Structure(source=SOURCE, source_id=f"demo-{n:02d}")
        standard = _standard_fields(n, member)
        _assign(
            row,
            name=name,
            street=f"{n} rue de l'Exemple",
            postal_code=postal,
            city=city,
            commune_code=code,
            department_code=department_of(code),
            is_operator=member,
            opening_hours="Mo-Fr 09:00-12:00,14:00-17:30" if n % 3 else "Tu,Th 14:00-18:00; Sa 10:00-12:00",
            phone=f"05 45 00 {n:02d} {n:02d}",
            email=f"contact@lieu-{n:02d}.example",
            website=None,
            typology="MEDIATHEQUE" if "édiathèque" in name else "ASSO",
            summary=None,
            description=None,
            standard=standard,
            closed_at=None,
            paused=False,
            paused_until=None,
            **standard_masks(standard),
        )
        if row.offerings:
            row.offerings.clear()
            session.flush()  # the old offerings go before the new ones (one offering per kind)
        located = not name.startswith("Lieu sans")
        point = (
            (lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.015, 0.015)) if located else (None, None)
        )
        set_point(row, *point)
        for kind in kinds:
            offering = ServiceOffering(
                kind=kind.value,
                fees=Fees.FREE.value,
                accepts_carnet=member or n % 4 == 0,
                modalities="Dans un atelier collectif|Accompagnement individuel",
            )
            set_point(offering, *point)
            row.offerings.append(offering)
        session.add(row)
        rows.append(row)
    session.flush()
    refresh_open_intervals(session, [row.id for row in rows])
    return rows


def _operators(session: Session, members: list[Structure]) -> dict[object, Actor]:
    actors: dict[object, Actor] = {}
    for key, (name, token) in TOKENS.items():
        structure_id = None if key == "coordinator" else members[int(key)].id  # type: ignore[call-overload]
        role = Role.COORDINATOR if structure_id is None else Role.OPERATOR
        digest = hash_token(token)
        row = session.scalars(select(Operator).where(Operator.token_hash == digest)).one_or_none()
        if row is None:
            row = Operator(token_hash=digest)
            session.add(row)
        _assign(
            row,
            name=name,
            role=role.value,
            structure_id=structure_id,
            revoked_at=None,
            email=f"{token}@aiguillage.example",
        )
        session.flush()
        actors[key] = Actor(row.id, name, role, structure_id)
    return actors


def _dossiers(session: Session, members: list[Structure], actors: dict[object, Actor]) -> None:
    coord = actors["coordinator"]
    pattern, example = r"[0-9]{3}[a-z]{3}", "000ysz"
    # Every demo orientation succeeds, so each counted try is given back: no shared limit is needed.
    limiter = MemoryLimiter(1, 60)

    def orient(index: int, member: int) -> Dossier:
        carnet, last, first, commune, needs = PEOPLE[index]
        data = uc.OrientInput(
            carnet_number=carnet,
            last_name=last,
            first_name=first,
            commune_code=commune,
            needs=needs,
            to_structure_id=members[member].id,
            note="Orientation de démonstration",
        )
        return uc.orient(session, coord, data, pattern, example, limiter)

    # Espace numérique du Soleil: the seed's "Orientation (1) · Prise en charge (6) · Archives (1)".
    soleil = actors[0]
    orient(0, 0)
    for i in range(1, 7):
        uc.take_in_charge(session, soleil, orient(i, 0).id, None)
    archived = orient(7, 0)
    uc.archive(
        session,
        soleil,
        archived.id,
        ArchiveReason.BENEFICIARY_DECLINED,
        "Ne souhaite plus suivre d'ateliers",
        None,
    )
    # Médiathèque des Remparts: two to take in charge, one followed; Lemoine waits there to be retrieved.
    orient(8, 1)
    uc.take_in_charge(session, actors[1], orient(9, 1).id, None)
    orient(12, 1)
    # Tiers-lieu La Fabrique: one oriented, one reoriented to it by the Soleil.
    orient(10, 2)
    moved = orient(11, 0)
    uc.reorient(session, soleil, moved.id, members[2].id, "Plus proche de son domicile", None)

    # Following dossiers over time. The Remparts cannot take Fontaine: back to the coordinators' queue.
    uc.decline(
        session,
        actors[1],
        orient(13, 1).id,
        DeclineReason.NO_CAPACITY,
        "Ateliers complets jusqu'en mars",
        None,
    )
    # At the Fabrique, Nguyen waits for 12 days (overdue, the reminder is due) and Perrin for 16 days, already
    # reminded on the 11th day, as the worker would have done.
    now = utcnow()
    _backdate(session, orient(14, 2).id, now - timedelta(days=12))
    perrin = orient(15, 2).id
    _backdate(session, perrin, now - timedelta(days=16))
    uc.remind(session, perrin, now - timedelta(days=16), now - timedelta(days=5))


def _backdate(session: Session, pk: int, since: datetime) -> None:
    """Fiction: make an orientation older than it is (its history event too)."""
    values = {"oriented_at": since, "status_since": since, "last_activity_at": since, "created_at": since}
    session.execute(update(Dossier).where(Dossier.id == pk).values(**values))
    session.execute(update(DossierEvent).where(DossierEvent.dossier_id == pk).values(at=since))
    session.execute(update(Notification).where(Notification.dossier_id == pk).values(occurred_at=since))


def load(db: Database) -> list[tuple[str, str]]:
    """Loads (or reloads) the demo territory; returns (who, token) pairs to print."""
    with db.write() as session:
        _clear(session)
    with db.write() as session:
        communes = _communes(session)
        places = _places(session, communes)
        members = [p for p in places if p.is_operator]
        actors = _operators(session, members)
        _dossiers(session, members, actors)
        stamp_changes(session, [p.id for p in places])
    return [(name, token) for name, token in TOKENS.values()]
