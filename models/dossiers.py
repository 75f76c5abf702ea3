"""Beneficiary dossiers, their history, and the operators who act on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, UTCDateTime, utcnow
from models.mapping import Structure

OPERATOR_NAME_MAX = 200


class Operator(Base):
    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(OPERATOR_NAME_MAX))
    role: Mapped[str] = mapped_column(String(20))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"), index=True)
    # SHA-256 of the bearer token: tokens are random 256-bit strings, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # where notifications go; never shown through the API
    email: Mapped[str | None] = mapped_column(String(320))
    notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    structure: Mapped[Structure | None] = relationship()


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        Index("ix_dossiers_tab", "structure_id", "status", "last_activity_at", "id"),
        # waiting times: overdue counts, the reminder and expiry jobs
        Index("ix_dossiers_status_since", "status", "status_since"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carnet_number: Mapped[str] = mapped_column(String(40), unique=True)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(200))
    # last name folded (no case, accents, spaces, hyphens, apostrophes) for matching and search
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    needs: Mapped[str] = mapped_column(String(500), default="")  # ServiceKind names joined by ","
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    oriented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_in_charge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archive_reason: Mapped[str | None] = mapped_column(String(30))
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    # when it entered its current status: waiting times, reminders and expiry count from here
    status_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the reminder of the current orientation was recorded (reset by every new orientation)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    structure: Mapped[Structure] = relationship()


class DossierEvent(Base):
    __tablename__ = "dossier_events"
    # statistics read the history by period
    __table_args__ = (Index("ix_dossier_events_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    from_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))
    to_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))
    archive_reason: Mapped[str | None] = mapped_column(String(30))
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)
    # When the dossier had entered the status this event ends (null for a first orientation): how long it
    # waited, read by statistics without walking the history again.
    previous_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
