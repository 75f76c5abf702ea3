"""The worker's jobs, in the order ``aiguillage worker`` runs them.

Each job takes the database, the settings and the instant to act as of (``worker --once --at``), does its
work in short transactions and returns how many things it did. Every job is idempotent and safe with several
workers at once: rows are picked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite queues writers) and
changed by conditional updates whose row count decides who did it.

Add a job here and both the long-running worker and ``worker --once`` run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.database import Database
from app.settings import Settings
from batch.jobs import deliveries, expiry, reminders, retention


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Database, Settings, datetime], int]
    # Periodic jobs run every AIGUILLAGE_WORKER_INTERVAL_SECONDS; the others at every turn of the loop.
    periodic: bool = True


def _retention(db: Database, settings: Settings, now: datetime) -> int:
    with db.write() as session:
        return retention.purge(session, now, settings.retention_days)


JOBS: list[Job] = [
    # Expiry before reminders: a dossier past both delays returns to the coordinators without a reminder.
    Job("expiry", expiry.run),
    Job("reminders", reminders.run),
    Job("retention", _retention),
    Job("deliveries", deliveries.run, periodic=False),
]
