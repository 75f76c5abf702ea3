"""Who hears about a dossier event, written to the outbox in the transaction of the event itself.

A transition that rolls back takes its notifications with it; one that commits has them waiting for the
worker (batch/jobs/deliveries.py), which delivers each at least once. Nothing written here names the
beneficiary: e-mails carry the structures' names and a link, webhooks opaque ids.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import DossierEvent, DossierEventKind, Operator, Role, Structure, utcnow
from models.notifications import WEBHOOK_TYPES, Channel, Notification, Webhook
from resolvers.ids import to_global_id

REMINDED_TYPE = "dossier.reminded"  # e-mail only: partners are not reminded


def event_type(kind: DossierEventKind) -> str:
    return WEBHOOK_TYPES.get(kind, REMINDED_TYPE)


def _recipients(session: Session, event: DossierEvent, kind: DossierEventKind) -> list[Operator]:
    """The people an event is for (never the one who acted)."""
    match kind:
        case DossierEventKind.ORIENTED | DossierEventKind.REORIENTED | DossierEventKind.REMINDED:
            # the structure it is now oriented to
            scope = Operator.structure_id == event.to_structure_id
        case DossierEventKind.DECLINED | DossierEventKind.EXPIRED:
            # the coordinators' queue « À réorienter »
            scope = Operator.role == Role.COORDINATOR.value
        case DossierEventKind.CLAIMED if event.from_structure_id not in (None, event.to_structure_id):
            # the former holder learns that another structure retrieved its dossier
            scope = Operator.structure_id == event.from_structure_id
        case _:
            return []
    stmt = select(Operator).where(
        scope,
        Operator.revoked_at.is_(None),
        Operator.email.is_not(None),
        Operator.notifications.is_(True),
    )
    if event.actor_id is not None:
        stmt = stmt.where(Operator.id != event.actor_id)
    return list(session.scalars(stmt.order_by(Operator.id)))


def _webhooks(session: Session, event: DossierEvent, type_: str) -> list[Webhook]:
    structures = {s for s in (event.from_structure_id, event.to_structure_id) if s is not None}
    rows = session.scalars(
        select(Webhook).where(
            Webhook.removed_at.is_(None),
            or_(Webhook.structure_id.is_(None), Webhook.structure_id.in_(structures)),
        )
    )
    return [w for w in rows if not w.events or type_ in w.events.split(",")]


def _structure_name(session: Session, pk: int | None) -> str | None:
    return session.scalar(select(Structure.name).where(Structure.id == pk)) if pk is not None else None


def enqueue(session: Session, event: DossierEvent) -> int:
    """Write the notifications of a flushed event; returns how many."""
    kind = DossierEventKind(event.kind)
    type_ = event_type(kind)
    uid = str(uuid.uuid4())
    rows: list[Notification] = []
    common: dict[str, Any] = {
        "event_type": type_,
        "event_uid": uid,
        "occurred_at": event.at,
        "dossier_id": event.dossier_id,
        # Deliveries follow the real clock, even for events dated by ``worker --at``.
        "next_attempt_at": utcnow(),
    }
    dossier = to_global_id("Dossier", event.dossier_id)
    people = _recipients(session, event, kind)
    if people:
        mail = {
            "kind": kind.value,
            "dossier": dossier,
            "from": _structure_name(session, event.from_structure_id),
            "to": _structure_name(session, event.to_structure_id),
            "at": event.at.isoformat(),
        }
        rows += [
            Notification(
                channel=Channel.EMAIL.value, operator_id=p.id, address=p.email, payload=mail, **common
            )
            for p in people
        ]
    if kind in WEBHOOK_TYPES:
        body = {
            "id": uid,
            "type": type_,
            "occurredAt": event.at.isoformat(),
            "data": {
                "dossier": dossier,
                "fromStructure": to_global_id("Structure", event.from_structure_id)
                if event.from_structure_id is not None
                else None,
                "toStructure": to_global_id("Structure", event.to_structure_id)
                if event.to_structure_id is not None
                else None,
            },
        }
        rows += [
            Notification(channel=Channel.WEBHOOK.value, webhook_id=w.id, payload=body, **common)
            for w in _webhooks(session, event, type_)
        ]
    session.add_all(rows)
    return len(rows)
