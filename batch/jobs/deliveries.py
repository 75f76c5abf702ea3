"""Deliveries: the outbox's e-mails and webhook calls, each at least once, retried with exponential backoff.

A worker takes a few due messages under a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on
SQLite), delivers them outside any transaction, then records the outcome only if it still holds the lease. A
worker killed mid-delivery lets go when its lease ends, and the message is delivered again: receivers dedupe
by the event id. Delivery times follow the real clock, whatever ``worker --at`` says.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.database import Database
from app.settings import Settings
from batch import mail, webhooks
from models import utcnow
from models.notifications import Channel, DeliveryStatus, Notification, Webhook

BATCH = 20
BACKOFF_MAX = timedelta(hours=6)
log = logging.getLogger("aiguillage.worker")


@dataclass(frozen=True)
class Message:
    id: int
    channel: Channel
    event_uid: str
    event_type: str
    payload: dict[str, Any]
    address: str | None
    url: str | None
    secret: str | None
    attempts: int
    created_at: datetime


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones: doubling from the first wait, capped."""
    first = timedelta(seconds=settings.webhook_retry_first_seconds)
    return min(first * 2 ** max(0, attempts - 1), BACKOFF_MAX)


def _claim(db: Database, settings: Settings, lease: str) -> list[Message]:
    with db.write() as session:
        now = utcnow()
        free = or_(Notification.locked_until.is_(None), Notification.locked_until < now)
        ids = list(
            session.scalars(
                select(Notification.id)
                .where(
                    Notification.status == DeliveryStatus.PENDING.value,
                    Notification.next_attempt_at <= now,
                    free,
                )
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return []
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), free)
            .values(lease=lease, locked_until=now + timedelta(seconds=settings.worker_lease_seconds))
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(
                Notification.id,
                Notification.channel,
                Notification.event_uid,
                Notification.event_type,
                Notification.payload,
                Notification.address,
                Webhook.url,
                Webhook.secret,
                Notification.attempts,
                Notification.created_at,
            )
            .outerjoin(Webhook, Webhook.id == Notification.webhook_id)
            .where(Notification.lease == lease)
            .order_by(Notification.id)
        )
        return [Message(r[0], Channel(r[1]), *r[2:]) for r in rows]


def _record(
    db: Database, settings: Settings, message: Message, lease: str, error: str | None, off: bool
) -> None:
    now = utcnow()
    values: dict[str, Any] = {"lease": None, "locked_until": None, "attempts": message.attempts + 1}
    if off:
        values.update(
            status=DeliveryStatus.OFF.value, last_error="e-mail désactivé (AIGUILLAGE_SMTP_URL absent)"
        )
    elif error is None:
        values.update(status=DeliveryStatus.SENT.value, sent_at=now, last_error=None)
    elif now - message.created_at >= timedelta(hours=settings.webhook_retry_hours):
        values.update(status=DeliveryStatus.FAILED.value, last_error=error[:500])
    else:
        values.update(next_attempt_at=now + backoff(settings, message.attempts + 1), last_error=error[:500])
    with db.write() as session:
        # Only while we hold the lease: a worker that lost it must not overwrite the one that took over.
        session.execute(
            update(Notification)
            .where(Notification.id == message.id, Notification.lease == lease)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _deliver(settings: Settings, message: Message) -> tuple[str | None, bool]:
    """(error or None, e-mail off)."""
    if message.channel is Channel.EMAIL:
        if not settings.smtp_url:
            return None, True
        assert message.address is not None
        return mail.send(settings, message.address, mail.render(settings, message.payload)), False
    if message.url is None or message.secret is None:
        return "webhook retiré", False
    return webhooks.post(message.url, message.secret, message.event_uid, message.payload), False


def run(db: Database, settings: Settings, now: datetime) -> int:
    """Delivers every message due now (``now`` is ignored: deliveries follow the real clock)."""
    done = 0
    while True:
        lease = uuid.uuid4().hex
        messages = _claim(db, settings, lease)
        for message in messages:
            error, off = _deliver(settings, message)
            if error:
                log.warning("delivery %d (%s) failed: %s", message.id, message.channel.value, error)
            _record(db, settings, message, lease, error, off)
            done += 1
        if len(messages) < BATCH:
            return done
