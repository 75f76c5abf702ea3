"""Partners' webhooks: subscribe, list, remove, and the delivery log (``aiguillage webhook …``)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from pydantic import HttpUrl, TypeAdapter, ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Structure, utcnow
from models.errors import InvalidInput, NotFound
from models.notifications import WEBHOOK_TYPES, Channel, DeliveryStatus, Notification, Webhook

_URL = TypeAdapter(HttpUrl)


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_webhook(
    session: Session, url: str, structure_id: int | None, events: list[str] | None
) -> tuple[Webhook, str]:
    """A new subscription and its signing secret (shown once by the command line)."""
    try:
        _URL.validate_python(url)
    except ValidationError:
        raise InvalidInput("url", f"URL : adresse http:// ou https:// attendue, reçu « {url} »") from None
    known = sorted(WEBHOOK_TYPES.values())
    wanted = list(dict.fromkeys(e.strip() for e in events or [] if e.strip()))
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise InvalidInput(
            "events", f"--events : type inconnu {', '.join(unknown)} ; types possibles : {', '.join(known)}"
        )
    if structure_id is not None and session.get(Structure, structure_id) is None:
        raise NotFound(f"--structure : structure {structure_id} introuvable")
    secret = new_secret()
    hook = Webhook(url=url, secret=secret, structure_id=structure_id, events=",".join(wanted))
    session.add(hook)
    session.flush()
    return hook, secret


@dataclass(frozen=True)
class WebhookLine:
    id: int
    url: str
    structure_id: int | None
    events: str
    pending: int
    sent: int
    failed: int


def list_webhooks(session: Session) -> list[WebhookLine]:
    counts: dict[tuple[int | None, str], int] = {
        (hook, status): n
        for hook, status, n in session.execute(
            select(Notification.webhook_id, Notification.status, func.count())
            .where(Notification.webhook_id.is_not(None))
            .group_by(Notification.webhook_id, Notification.status)
        )
    }
    rows = session.scalars(select(Webhook).where(Webhook.removed_at.is_(None)).order_by(Webhook.id))
    return [
        WebhookLine(
            w.id,
            w.url,
            w.structure_id,
            w.events,
            counts.get((w.id, DeliveryStatus.PENDING.value), 0),
            counts.get((w.id, DeliveryStatus.SENT.value), 0),
            counts.get((w.id, DeliveryStatus.FAILED.value), 0),
        )
        for w in rows
    ]


def remove_webhook(session: Session, webhook_id: int) -> Webhook:
    """No more calls; what is still pending is marked failed, the delivery log stays."""
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.removed_at is not None:
        raise NotFound(f"webhook {webhook_id} introuvable")
    hook.removed_at = utcnow()
    session.execute(
        update(Notification)
        .where(Notification.webhook_id == webhook_id, Notification.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.FAILED.value, last_error="webhook retiré")
    )
    return hook


@dataclass(frozen=True)
class DeliveryLine:
    id: int
    channel: str
    target: str
    event_type: str
    event_uid: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None


def deliveries(
    session: Session, webhook_id: int | None = None, status: DeliveryStatus | None = None, limit: int = 50
) -> list[DeliveryLine]:
    """The newest deliveries first (webhook calls and e-mails), e.g. the failed ones."""
    stmt = (
        select(Notification, Webhook.url)
        .outerjoin(Webhook, Webhook.id == Notification.webhook_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if webhook_id is not None:
        stmt = stmt.where(Notification.webhook_id == webhook_id)
    if status is not None:
        stmt = stmt.where(Notification.status == status.value)
    return [
        DeliveryLine(
            n.id,
            n.channel,
            (url or "?") if n.channel == Channel.WEBHOOK.value else f"opérateur {n.operator_id}",
            n.event_type,
            n.event_uid,
            n.status,
            n.attempts,
            n.created_at,
            n.next_attempt_at,
            n.last_error,
        )
        for n, url in session.execute(stmt)
    ]
