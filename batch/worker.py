"""``aiguillage worker``: runs the jobs of batch/jobs, once (``--once``) or for as long as it is left running."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from app.database import Database
from app.settings import Settings
from batch.jobs import JOBS
from models import utcnow

POLL_SECONDS = 2.0  # how soon a new notification leaves, at most
log = logging.getLogger("aiguillage.worker")


def announce(settings: Settings) -> str:
    """The one line the worker says at start about e-mail."""
    if settings.smtp_url:
        return "worker: e-mail on"
    return "worker: e-mail is off (AIGUILLAGE_SMTP_URL is not set): e-mails are recorded as not sent"


def run_once(db: Database, settings: Settings, at: datetime | None = None) -> dict[str, int]:
    """Every job once, as if at ``at`` (default now); how many things each did."""
    now = at or utcnow()
    return {job.name: job.run(db, settings, now) for job in JOBS}


def _run(job_name: str, fn: object, *args: object) -> None:
    try:
        fn(*args)  # type: ignore[operator]
    except Exception as exc:
        # The worker keeps going; the next turn retries. The exception's class only: a message could quote data.
        log.error("job %s failed: %s; retrying at the next turn", job_name, type(exc).__name__)


def run_forever(db: Database, settings: Settings, stop: threading.Event) -> None:
    """Periodic jobs every ``worker_interval_seconds``, deliveries every couple of seconds, until ``stop``."""
    next_periodic = 0.0
    while not stop.is_set():
        periodic_due = time.monotonic() >= next_periodic
        if periodic_due:
            next_periodic = time.monotonic() + settings.worker_interval_seconds
        for job in JOBS:
            if job.periodic and not periodic_due:
                continue
            _run(job.name, job.run, db, settings, utcnow())
            if stop.is_set():
                return
        stop.wait(POLL_SECONDS)
