"""How long a dossier has waited, and when it becomes overdue or expires: the one home of these rules.

Listings, counts, the API's ``daysInStatus``/``overdue``/``expiresAt`` and the worker's reminder and expiry
jobs all read them from here. Every wait counts from ``Dossier.status_since``, the instant it entered its
current status.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Dossier, DossierStatus
from models.errors import InvalidInput

DAY = timedelta(days=1)


def days_in_status(since: datetime, now: datetime) -> int:
    """Whole days since it entered its status (0 on the first day)."""
    return max(0, (now - since) // DAY)


def entered_before(now: datetime, days: int) -> datetime:
    """Dossiers that entered their status at or before this instant have waited ``days`` whole days."""
    return now - days * DAY


def overdue_before(now: datetime, remind_after_days: int) -> datetime:
    """ORIENTED since strictly before this instant: waiting longer than the reminder delay (overdue)."""
    return now - remind_after_days * DAY


def is_overdue(status: str, since: datetime, now: datetime, remind_after_days: int) -> bool:
    """ORIENTED for longer than the reminder delay: the dossier the API's ``overdue`` and the counts flag."""
    return status == DossierStatus.ORIENTED.value and since < overdue_before(now, remind_after_days)


def expires_at(status: str, since: datetime, expire_after_days: int) -> datetime | None:
    """When an ORIENTED dossier returns to the coordinators; None for other statuses or expiry off (0)."""
    if status != DossierStatus.ORIENTED.value or expire_after_days <= 0:
        return None
    return since + expire_after_days * DAY


def expired_at_or_before(now: datetime, expire_after_days: int) -> datetime | None:
    """ORIENTED since at or before this instant: past ``expiresAt``. None when expiry is off."""
    if expire_after_days <= 0:
        return None
    return now - expire_after_days * DAY


def check_min_days(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 36_500:
        raise InvalidInput(
            "minDaysInStatus", "minDaysInStatus : un nombre entier de jours, 0 ou plus, est attendu"
        )
    return value


# The worker's picks. FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite ignores it and queues writers instead) lets
# several workers share the work without waiting on each other; the conditional update that follows decides.


def due_for_expiry(session: Session, cutoff: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, version) of ORIENTED dossiers that entered the status at or before ``cutoff``."""
    stmt = (
        select(Dossier.id, Dossier.version)
        .where(Dossier.status == DossierStatus.ORIENTED.value, Dossier.status_since <= cutoff)
        .order_by(Dossier.status_since, Dossier.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(pk, version) for pk, version in session.execute(stmt)]


def due_for_reminder(session: Session, cutoff: datetime, limit: int) -> list[tuple[int, datetime]]:
    """(id, status_since) of ORIENTED dossiers not yet reminded that entered the status before ``cutoff``."""
    stmt = (
        select(Dossier.id, Dossier.status_since)
        .where(
            Dossier.status == DossierStatus.ORIENTED.value,
            Dossier.status_since < cutoff,
            Dossier.reminded_at.is_(None),
        )
        .order_by(Dossier.status_since, Dossier.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(pk, since) for pk, since in session.execute(stmt)]
