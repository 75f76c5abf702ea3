"""Expiry: a dossier ORIENTED past its ``expiresAt`` returns to the coordinators' queue (RETURNED)."""

from __future__ import annotations

import logging
from datetime import datetime

from app.database import Database
from app.settings import Settings
from models.errors import DomainError
from resolvers import dossiers, waiting

BATCH = 100
log = logging.getLogger("aiguillage.worker")


def run(db: Database, settings: Settings, now: datetime) -> int:
    cutoff = waiting.expired_at_or_before(now, settings.expire_after_days)
    if cutoff is None:
        return 0
    done = 0
    while True:
        with db.write() as session:
            due = waiting.due_for_expiry(session, cutoff, BATCH)
            for pk, version in due:
                try:
                    with session.begin_nested():
                        dossiers.expire(session, pk, now, expected_version=version)
                    done += 1
                except DomainError:
                    continue  # someone acted on it meanwhile: it is no longer ours to expire
        if len(due) < BATCH:
            break
    if done:
        log.info("expiry: %d dossier(s) returned to the coordinators", done)
    return done
