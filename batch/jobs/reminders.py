"""Reminders: once per orientation, the structure of a dossier ORIENTED past the reminder delay is told."""

from __future__ import annotations

import logging
from datetime import datetime

from app.database import Database
from app.settings import Settings
from resolvers import dossiers, waiting

BATCH = 100
log = logging.getLogger("aiguillage.worker")


def run(db: Database, settings: Settings, now: datetime) -> int:
    cutoff = waiting.overdue_before(now, settings.remind_after_days)
    done = 0
    while True:
        with db.write() as session:
            due = waiting.due_for_reminder(session, cutoff, BATCH)
            done += sum(dossiers.remind(session, pk, since, now) for pk, since in due)
        if len(due) < BATCH:
            break
    if done:
        log.info("reminders: %d dossier(s) overdue, their structures reminded", done)
    return done
