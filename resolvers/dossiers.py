"""Dossiers: who sees what, the lists and counts of the three tabs, and every transition.

Where is reorientation decided? Here, in ``reorient`` through ``_apply``, reading models/workflow.py's table.
Each action is one unit of work: a conditional UPDATE on (id, status, version) checked by its row count and
the history event, in the same transaction, or nothing at all.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    ArchiveReason,
    DeclineReason,
    Dossier,
    DossierEvent,
    DossierEventKind,
    DossierStatus,
    Role,
    ServiceKind,
    Structure,
    utcnow,
)
from models.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotAllowed,
    NotFound,
    Unauthenticated,
)
from models.mapping import INSEE_COMMUNE_CODE, accepting_orientations, pause_message
from models.workflow import SYSTEM_NAME, Action, Transition, Who, allowed_from, transition
from resolvers import notifications, waiting
from resolvers.attempts import Limiter, count_try, failed_try_keys
from resolvers.auth import Actor
from resolvers.pagination import ID, INSTANT, Page, decode_cursor, keyset_page, page_size

STATUS_LABELS = {
    DossierStatus.ORIENTED: "orienté (onglet Orientations)",
    DossierStatus.TAKEN_IN_CHARGE: "pris en charge (onglet Prise en charge)",
    DossierStatus.ARCHIVED: "archivé (onglet Archives)",
    DossierStatus.RETURNED: "renvoyé aux coordinateurs (file « À réorienter »)",
}
ACTION_LABELS = {
    Action.ORIENT: "orienter",
    Action.TAKE_IN_CHARGE: "indiquer la prise en charge de",
    Action.REORIENT: "réorienter",
    Action.ARCHIVE: "archiver",
    Action.CLAIM: "récupérer",
    Action.DECLINE: "refuser",
    Action.EXPIRE: "faire expirer",
}
CLAIM_NO_MATCH = (
    "Aucun dossier ne correspond à ce nom et à ce numéro de carnet. Vérifiez l'orthographe et le numéro."
)
NAME_MAX = 200
NOTE_MAX = 2000


# ---------- normalisation and validation ----------


def fold_name(value: str) -> str:
    """Case, accents, spaces, hyphens and apostrophes ignored: 'N'Diaye-Lefèvre' → 'ndiayelefevre'."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def normalise_carnet(value: str, pattern: str, example: str, field: str = "carnetNumber") -> str:
    carnet = value.strip().lower()
    if not re.fullmatch(pattern, carnet):
        raise InvalidInput(
            field,
            f"{field} : numéro de carnet invalide ; attendu sous la forme « {example} » "
            "(trois chiffres puis trois lettres)"
            if example == "000ysz"
            else f"{field} : numéro de carnet invalide ; attendu sous la forme « {example} »",
        )
    return carnet


def _name(value: str | None, field: str, required: bool) -> str | None:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        if required:
            raise InvalidInput(field, f"{field} : le nom est obligatoire")
        return None
    key = fold_name(cleaned)
    # The folded key is stored too, and folding can lengthen a name ("ﬀ" → "ff"): both must fit.
    if len(cleaned) > NAME_MAX or len(key) > NAME_MAX or not key:
        raise InvalidInput(
            field,
            f"{field} : attendu un nom en lettres, {NAME_MAX} caractères au plus "
            "(ligatures comptées décomposées : « ﬀ » compte deux)",
        )
    return cleaned


def _note(value: str | None) -> str | None:
    note = (value or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("note", f"note : {NOTE_MAX} caractères au plus")
    return note or None


# ---------- who sees what ----------


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("Authentification requise : envoyez l'en-tête Authorization: Bearer <jeton>.")
    return actor


def can_see_counts(actor: Actor | None, structure_id: int) -> bool:
    """A structure's dossiers (and their counts) are its operators' and the coordinators'."""
    return actor is not None and (actor.is_coordinator or actor.structure_id == structure_id)


def can_see(actor: Actor | None, dossier: Dossier) -> bool:
    # RETURNED: the coordinators' queue; it has left the tabs of the structure it came back from.
    if dossier.status == DossierStatus.RETURNED.value:
        return actor is not None and actor.is_coordinator
    return can_see_counts(actor, dossier.structure_id)


def _record(
    session: Session,
    dossier_id: int,
    kind: DossierEventKind,
    actor: Actor | None,
    at: datetime,
    *,
    from_structure_id: int | None,
    to_structure_id: int,
    archive_reason: ArchiveReason | None = None,
    decline_reason: DeclineReason | None = None,
    note: str | None = None,
    previous_since: datetime | None = None,
) -> None:
    """The history event of a transition, written in the transaction of the transition itself.

    ``actor`` None: the worker acted (« système »).
    """
    event = DossierEvent(
        dossier_id=dossier_id,
        kind=kind.value,
        at=at,
        actor_id=actor.operator_id if actor else None,
        actor_name=actor.name if actor else SYSTEM_NAME,
        from_structure_id=from_structure_id,
        to_structure_id=to_structure_id,
        archive_reason=archive_reason.value if archive_reason else None,
        decline_reason=decline_reason.value if decline_reason else None,
        note=note,
        previous_since=previous_since,
    )
    session.add(event)
    session.flush()
    # The outbox: its notifications commit or roll back with the event.
    notifications.enqueue(session, event)


def get_visible_dossier(session: Session, actor: Actor | None, pk: int) -> Dossier | None:
    """The dossier if the actor may see it; a dossier of another structure is as good as missing."""
    dossier = session.get(Dossier, pk)
    return dossier if dossier is not None and can_see(actor, dossier) else None


def _scope(actor: Actor) -> ColumnElement[bool] | None:
    """The dossiers an actor lists: their structure's, or all of them for a coordinator."""
    if actor.is_coordinator:
        return None
    return Dossier.structure_id == actor.structure_id


@dataclass(frozen=True)
class Counts:
    oriented: int = 0
    taken_in_charge: int = 0
    archived: int = 0
    returned: int = 0
    overdue: int = 0


def _counts(rows: Sequence[tuple[str, int, int]], with_returned: bool = True) -> Counts:
    """Rows of (status, count, how many entered it before the overdue instant)."""
    by = {status: (n, late) for status, n, late in rows}
    return Counts(
        oriented=by.get(DossierStatus.ORIENTED.value, (0, 0))[0],
        taken_in_charge=by.get(DossierStatus.TAKEN_IN_CHARGE.value, (0, 0))[0],
        archived=by.get(DossierStatus.ARCHIVED.value, (0, 0))[0],
        returned=by.get(DossierStatus.RETURNED.value, (0, 0))[0] if with_returned else 0,
        overdue=by.get(DossierStatus.ORIENTED.value, (0, 0))[1],
    )


def _late(remind_after_days: int, now: datetime | None) -> ColumnElement[int]:
    cutoff = waiting.overdue_before(now or utcnow(), remind_after_days)
    return func.coalesce(func.sum(case((Dossier.status_since < cutoff, 1), else_=0)), 0)


def counts_for(
    session: Session, actor: Actor | None, remind_after_days: int, now: datetime | None = None
) -> Counts:
    actor = require_actor(actor)
    stmt = select(Dossier.status, func.count(), _late(remind_after_days, now)).group_by(Dossier.status)
    scope = _scope(actor)
    if scope is not None:
        stmt = stmt.where(scope)
    # The returned queue is the coordinators' (0 for an operator).
    return _counts([(s, n, late) for s, n, late in session.execute(stmt)], with_returned=actor.is_coordinator)


def counts_by_structure_ids(
    session: Session, ids: Sequence[int], remind_after_days: int, now: datetime | None = None
) -> list[Counts]:
    grouped: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    stmt = (
        select(Dossier.structure_id, Dossier.status, func.count(), _late(remind_after_days, now))
        .where(Dossier.structure_id.in_(set(ids)))
        .group_by(Dossier.structure_id, Dossier.status)
    )
    for structure_id, status, n, late in session.execute(stmt):
        grouped[structure_id].append((status, n, late))
    return [_counts(grouped.get(i, [])) for i in ids]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_dossiers(
    session: Session,
    actor: Actor | None,
    status: DossierStatus,
    search: str | None,
    first: int | None,
    after: str | None,
    cap: int,
    with_total: bool = True,
    min_days_in_status: int | None = None,
    now: datetime | None = None,
) -> Page[Dossier]:
    """One tab: newest activity first, keyset cursors on (last_activity_at, id)."""
    actor = require_actor(actor)
    limit = page_size(first, cap)
    conditions: list[ColumnElement[bool]] = [Dossier.status == status.value]
    if waiting.check_min_days(min_days_in_status):
        assert min_days_in_status is not None
        conditions.append(Dossier.status_since <= waiting.entered_before(now or utcnow(), min_days_in_status))
    scope = _scope(actor)
    if scope is not None:
        conditions.append(scope)
    if status is DossierStatus.RETURNED and not actor.is_coordinator:
        conditions.append(false())  # the coordinators' queue is in no operator's tabs
    if search and search.strip():
        if len(search) > NAME_MAX:
            raise InvalidInput("search", f"search : {NAME_MAX} caractères au plus")
        key = fold_name(search)
        if not key:
            raise InvalidInput("search", "search : attendu un nom ou un numéro de carnet")
        pattern = f"%{_like_escape(key)}%"
        conditions.append(
            or_(Dossier.name_key.like(pattern, escape="\\"), Dossier.carnet_number.like(pattern, escape="\\"))
        )
    stmt = select(Dossier).where(*conditions)
    if after is not None:
        at, last_id = decode_cursor(after, (INSTANT, ID))
        stmt = stmt.where(
            or_(
                Dossier.last_activity_at < at,
                and_(Dossier.last_activity_at == at, Dossier.id < last_id),
            )
        )
    rows = list(
        session.scalars(stmt.order_by(Dossier.last_activity_at.desc(), Dossier.id.desc()).limit(limit + 1))
    )
    total = (
        session.scalar(select(func.count()).select_from(Dossier).where(*conditions)) if with_total else None
    )
    return keyset_page(rows, limit, lambda r: (r.last_activity_at.isoformat(), r.id), total)


def events_by_dossier_ids(session: Session, ids: Sequence[int]) -> list[list[DossierEvent]]:
    grouped: dict[int, list[DossierEvent]] = defaultdict(list)
    stmt = select(DossierEvent).where(DossierEvent.dossier_id.in_(set(ids))).order_by(DossierEvent.id)
    for event in session.scalars(stmt):
        grouped[event.dossier_id].append(event)
    return [grouped.get(i, []) for i in ids]


# ---------- transitions ----------


def _who(actor: Actor | None, dossier: Dossier | None) -> Who:
    if actor is None:
        return Who.SYSTEM
    if actor.is_coordinator:
        return Who.COORDINATOR
    if dossier is not None and dossier.structure_id == actor.structure_id:
        return Who.HOLDER
    return Who.OTHER_OPERATOR


def _target_structure(session: Session, structure_id: int, field: str) -> Structure:
    structure = session.get(Structure, structure_id)
    if structure is None:
        raise InvalidInput(
            field, f"{field} : structure introuvable ; choisissez une structure opératrice de la carte"
        )
    if not accepting_orientations(structure, utcnow()):
        raise InvalidInput(field, pause_message(structure, field))
    return structure


def _load_for_action(session: Session, actor: Actor, pk: int) -> Dossier:
    """The dossier to act on by id; one the actor cannot see is reported as missing."""
    dossier = get_visible_dossier(session, actor, pk)
    if dossier is None:
        raise NotFound("Dossier introuvable.")
    return dossier


def _check(actor: Actor | None, dossier: Dossier, action: Action, expected_version: int | None) -> Transition:
    status = DossierStatus(dossier.status)
    rule = transition(status, action)
    who = _who(actor, dossier)
    if rule is None:
        allowed = ", ".join(STATUS_LABELS[s] for s in allowed_from(action))
        raise InvalidTransition(
            status,
            f"Impossible de {ACTION_LABELS[action]} ce dossier : il est {STATUS_LABELS[status]}. "
            f"Possible seulement s'il est {allowed}.",
        )
    if who not in rule.who:
        raise NotAllowed(f"Action réservée : {', '.join(sorted(w.value for w in rule.who))}.")
    if expected_version is not None and expected_version != dossier.version:
        raise Conflict(
            f"Le dossier a été modifié entre-temps (version {dossier.version}, vous aviez la version "
            f"{expected_version}) : rechargez-le avant d'agir."
        )
    return rule


def _apply(
    session: Session,
    actor: Actor | None,
    dossier: Dossier,
    action: Action,
    rule: Transition,
    *,
    to_structure_id: int | None = None,
    archive_reason: ArchiveReason | None = None,
    decline_reason: DeclineReason | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Dossier:
    """The conditional write and its history event; the loser of a race changes nothing."""
    now = at or utcnow()
    from_structure, previous_since = dossier.structure_id, dossier.status_since
    to_structure = to_structure_id if to_structure_id is not None else from_structure
    values: dict[str, object] = {
        "status": rule.to.value,
        "structure_id": to_structure,
        "version": Dossier.version + 1,
        "last_activity_at": now,
        "status_since": now,
    }
    if rule.to is DossierStatus.ORIENTED:
        values.update(
            oriented_at=now,
            taken_in_charge_at=None,
            archived_at=None,
            archive_reason=None,
            decline_reason=None,
            reminded_at=None,
        )
    elif rule.to is DossierStatus.RETURNED:
        values.update(decline_reason=decline_reason.value if decline_reason else None)
    elif rule.to is DossierStatus.TAKEN_IN_CHARGE:
        values.update(taken_in_charge_at=now)
    elif rule.to is DossierStatus.ARCHIVED:
        values.update(archived_at=now, archive_reason=archive_reason.value if archive_reason else None)
    result = session.execute(
        update(Dossier)
        .where(Dossier.id == dossier.id, Dossier.status == dossier.status, Dossier.version == dossier.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        # Someone else acted first: report what the dossier is now.
        if action is Action.CLAIM:
            raise Conflict("Un autre opérateur vient de récupérer ce dossier au même moment.")
        session.expire(dossier)
        fresh = session.get(Dossier, dossier.id)
        if fresh is None or not can_see(actor, fresh):
            raise NotFound("Dossier introuvable (il vient d'être orienté ailleurs).")
        current = DossierStatus(fresh.status)
        if transition(current, action) is None:
            raise InvalidTransition(
                current, f"Un autre opérateur vient d'agir : le dossier est {STATUS_LABELS[current]}."
            )
        raise Conflict("Un autre opérateur vient de modifier ce dossier : rechargez-le avant d'agir.")
    _record(
        session,
        dossier.id,
        rule.event,
        actor,
        now,
        from_structure_id=from_structure,
        to_structure_id=to_structure,
        archive_reason=archive_reason,
        decline_reason=decline_reason,
        note=note,
        previous_since=previous_since,
    )
    session.flush()
    session.expire(dossier)
    refreshed = session.get(Dossier, dossier.id)
    assert refreshed is not None
    return refreshed


@dataclass(frozen=True)
class OrientInput:
    carnet_number: str
    last_name: str
    to_structure_id: int
    first_name: str | None = None
    commune_code: str | None = None
    needs: Sequence[ServiceKind] = ()
    note: str | None = None


def orient(
    session: Session,
    actor: Actor | None,
    data: OrientInput,
    carnet_pattern: str,
    example: str,
    limiter: Limiter,
) -> Dossier:
    actor = require_actor(actor)
    carnet = normalise_carnet(data.carnet_number, carnet_pattern, example, "input.carnetNumber")
    last_name = _name(data.last_name, "input.lastName", required=True)
    first_name = _name(data.first_name, "input.firstName", required=False)
    commune = (data.commune_code or "").strip().upper() or None
    if commune is not None and not INSEE_COMMUNE_CODE.fullmatch(commune):
        raise InvalidInput(
            "input.communeCode",
            "input.communeCode : code INSEE de commune à 5 caractères attendu (ex. 16015)",
        )
    note = _note(data.note)
    rule = transition(None, Action.ORIENT)
    assert rule is not None
    if _who(actor, None) not in rule.who:
        raise NotAllowed("Action réservée.")
    _target_structure(session, data.to_structure_id, "input.toStructureId")
    # « Carnet already known » tells about a beneficiary: it is a failed try at a carnet like a failed
    # retrieval, counted by the same limits, or orienting would be a carnet oracle outside them.
    tries = count_try(limiter, failed_try_keys(actor.operator_id, actor.structure_id))
    if session.scalar(select(Dossier.id).where(Dossier.carnet_number == carnet)) is not None:
        raise Conflict(_KNOWN_CARNET)
    assert last_name is not None
    now = utcnow()
    dossier = Dossier(
        carnet_number=carnet,
        last_name=last_name,
        first_name=first_name,
        name_key=fold_name(last_name),
        commune_code=commune,
        needs=",".join(dict.fromkeys(k.value for k in data.needs)),
        structure_id=data.to_structure_id,
        status=rule.to.value,
        version=1,
        oriented_at=now,
        status_since=now,
        last_activity_at=now,
        created_at=now,
    )
    session.add(dossier)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_KNOWN_CARNET) from None
    tries.give_back()
    _record(
        session,
        dossier.id,
        rule.event,
        actor,
        now,
        from_structure_id=None,
        to_structure_id=data.to_structure_id,
        note=note,
    )
    session.flush()
    return dossier


_KNOWN_CARNET = (
    "Ce numéro de carnet est déjà connu : récupérez le dossier avec « + Bénéficiaire » "
    "(NOM + N° de carnet) au lieu d'en créer un nouveau."
)


def take_in_charge(session: Session, actor: Actor | None, pk: int, expected_version: int | None) -> Dossier:
    actor = require_actor(actor)
    dossier = _load_for_action(session, actor, pk)
    rule = _check(actor, dossier, Action.TAKE_IN_CHARGE, expected_version)
    return _apply(session, actor, dossier, Action.TAKE_IN_CHARGE, rule)


def reorient(
    session: Session,
    actor: Actor | None,
    pk: int,
    to_structure_id: int,
    note: str | None,
    expected_version: int | None,
) -> Dossier:
    actor = require_actor(actor)
    dossier = _load_for_action(session, actor, pk)
    rule = _check(actor, dossier, Action.REORIENT, expected_version)
    # A returned dossier may go back where it came from (it expired there; the place has room now).
    if to_structure_id == dossier.structure_id and dossier.status != DossierStatus.RETURNED.value:
        raise InvalidInput(
            "toStructureId", "toStructureId : choisissez une autre structure que celle qui suit le dossier"
        )
    _target_structure(session, to_structure_id, "toStructureId")
    return _apply(
        session, actor, dossier, Action.REORIENT, rule, to_structure_id=to_structure_id, note=_note(note)
    )


def archive(
    session: Session,
    actor: Actor | None,
    pk: int,
    reason: ArchiveReason,
    note: str | None,
    expected_version: int | None,
) -> Dossier:
    actor = require_actor(actor)
    note = _reason_note(note, reason is ArchiveReason.OTHER)
    dossier = _load_for_action(session, actor, pk)
    rule = _check(actor, dossier, Action.ARCHIVE, expected_version)
    return _apply(session, actor, dossier, Action.ARCHIVE, rule, archive_reason=reason, note=note)


def _reason_note(note: str | None, other: bool) -> str | None:
    note = _note(note)
    if other and not note:
        raise InvalidInput("note", "note : précisez le motif quand la raison est « Autre » (OTHER)")
    return note


def decline(
    session: Session,
    actor: Actor | None,
    pk: int,
    reason: DeclineReason,
    note: str | None,
    expected_version: int | None,
) -> Dossier:
    """The structure a dossier was oriented to gives it back to the coordinators' queue, with a reason."""
    actor = require_actor(actor)
    note = _reason_note(note, reason is DeclineReason.OTHER)
    dossier = _load_for_action(session, actor, pk)
    rule = _check(actor, dossier, Action.DECLINE, expected_version)
    return _apply(session, actor, dossier, Action.DECLINE, rule, decline_reason=reason, note=note)


def expire(session: Session, pk: int, at: datetime, expected_version: int | None = None) -> Dossier:
    """The worker sends a dossier left ORIENTED too long back to the coordinators (its job picks which)."""
    dossier = session.get(Dossier, pk)
    if dossier is None:
        raise NotFound("Dossier introuvable.")
    rule = _check(None, dossier, Action.EXPIRE, expected_version)
    return _apply(session, None, dossier, Action.EXPIRE, rule, at=at)


def remind(session: Session, pk: int, since: datetime, at: datetime) -> bool:
    """Record the one reminder of an orientation (the worker); False when another worker or a transition
    got there first. Not a transition: the status and version stay, so operators' screens stay current."""
    result = session.execute(
        update(Dossier)
        .where(
            Dossier.id == pk,
            Dossier.status == DossierStatus.ORIENTED.value,
            Dossier.status_since == since,
            Dossier.reminded_at.is_(None),
        )
        .values(reminded_at=at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    structure_id = session.scalar(select(Dossier.structure_id).where(Dossier.id == pk))
    assert structure_id is not None
    _record(
        session,
        pk,
        DossierEventKind.REMINDED,
        None,
        at,
        from_structure_id=None,
        to_structure_id=structure_id,
    )
    return True


def find_by_name_and_carnet(
    session: Session,
    last_name: str,
    carnet_number: str,
    limiter: Limiter,
    keys: Sequence[str],
    carnet_pattern: str,
    example: str,
    *,
    name_field: str,
) -> Dossier:
    """The dossier of NAME + carnet, for retrieval and for the beneficiary's own status.

    A wrong name and an unknown carnet give the same ``NotFound``; each failure counts against the limits
    of ``keys`` (a try is counted before the lookup and given back when it matches).
    """
    carnet = normalise_carnet(carnet_number, carnet_pattern, example)
    name = _name(last_name, name_field, required=True)
    assert name is not None
    tries = count_try(limiter, keys)
    dossier = session.scalars(select(Dossier).where(Dossier.carnet_number == carnet)).first()
    # Compare in constant time against the stored key, or against a dummy when the carnet is unknown,
    # so that both failures take the same path.
    stored = dossier.name_key if dossier is not None else "\x00" * len(fold_name(name))
    if dossier is None or not hmac.compare_digest(stored.encode(), fold_name(name).encode()):
        raise NotFound(CLAIM_NO_MATCH)
    tries.give_back()
    return dossier


def claim(
    session: Session,
    actor: Actor | None,
    last_name: str,
    carnet_number: str,
    limiter: Limiter,
    carnet_pattern: str,
    example: str,
    cooldown_seconds: int = 0,
) -> Dossier:
    """Retrieve a dossier by NAME + carnet. A wrong name and an unknown carnet answer alike.

    Two structures retrieving the same beneficiary within ``cooldown_seconds`` of each other would take the
    dossier from one another without noticing: the second is told who has just retrieved it instead.
    """
    actor = require_actor(actor)
    if actor.role is not Role.OPERATOR or actor.structure_id is None:
        raise NotAllowed("La récupération d'un dossier est faite par un opérateur de structure.")
    dossier = find_by_name_and_carnet(
        session,
        last_name,
        carnet_number,
        limiter,
        failed_try_keys(actor.operator_id, actor.structure_id),
        carnet_pattern,
        example,
        name_field="beneficiaryLastName",
    )
    if dossier.structure_id == actor.structure_id and dossier.status in (
        DossierStatus.ORIENTED.value,
        DossierStatus.TAKEN_IN_CHARGE.value,
    ):
        status = DossierStatus(dossier.status)
        raise InvalidTransition(
            status, f"Ce dossier est déjà dans votre liste : il est {STATUS_LABELS[status]}."
        )
    rule = _check(actor, dossier, Action.CLAIM, None)
    if cooldown_seconds and dossier.structure_id != actor.structure_id:
        # Any later step (taking in charge) does not end the window: look for the claim itself.
        recent_claim = session.scalar(
            select(DossierEvent.id).where(
                DossierEvent.dossier_id == dossier.id,
                DossierEvent.kind == DossierEventKind.CLAIMED.value,
                DossierEvent.to_structure_id == dossier.structure_id,
                DossierEvent.at > utcnow() - timedelta(seconds=cooldown_seconds),
            )
        )
        if recent_claim is not None:
            holder = session.get(Structure, dossier.structure_id)
            raise Conflict(
                f"Ce dossier vient d'être récupéré par « {holder.name if holder else 'une autre structure'} » : "
                "contactez cette structure avant de le récupérer à votre tour."
            )
    return _apply(session, actor, dossier, Action.CLAIM, rule, to_structure_id=actor.structure_id)
