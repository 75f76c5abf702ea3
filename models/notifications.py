"""The transactional outbox (notifications written with their event) and partners' webhooks.

Nothing here holds a beneficiary's name, carnet number or note: a notification says that something happened
to an opaque dossier id, and where to look.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from models.enums import DossierEventKind

# The webhook event types, one per event kind that partners hear about (reminders are for people only).
WEBHOOK_TYPES: dict[DossierEventKind, str] = {
    DossierEventKind.ORIENTED: "dossier.oriented",
    DossierEventKind.TAKEN_IN_CHARGE: "dossier.taken_in_charge",
    DossierEventKind.REORIENTED: "dossier.reoriented",
    DossierEventKind.ARCHIVED: "dossier.archived",
    DossierEventKind.CLAIMED: "dossier.claimed",
    DossierEventKind.DECLINED: "dossier.declined",
    DossierEventKind.EXPIRED: "dossier.expired",
}


class Channel(enum.Enum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.Enum):
    PENDING = "pending"  # waiting for (another) attempt
    SENT = "sent"
    FAILED = "failed"  # retried for the whole retry window, given up
    OFF = "off"  # e-mail while no SMTP server is configured


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # The signing secret (Standard Webhooks "whsec_…"): needed in clear to sign, shown once at creation.
    secret: Mapped[str] = mapped_column(String(100))
    # Only events that concern this structure (from or to it); null: every event.
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"))
    events: Mapped[str] = mapped_column(String(500), default="")  # types joined by ","; "": all
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """One message to deliver (an e-mail to one operator, or one webhook call), and its delivery state."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    # dossier.oriented, … (and dossier.reminded for e-mail); the same uid for every message of one event
    event_type: Mapped[str] = mapped_column(String(40))
    event_uid: Mapped[str] = mapped_column(String(40), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # No foreign key: the delivery log outlives a dossier purged under the retention rule.
    dossier_id: Mapped[int | None] = mapped_column(Integer)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    address: Mapped[str | None] = mapped_column(String(320))  # the operator's e-mail when written
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A worker holds a message while it delivers it; a worker that dies lets go when the lease ends.
    lease: Mapped[str | None] = mapped_column(String(40))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
