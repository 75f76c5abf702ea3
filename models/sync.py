"""The clock of partners' incremental sync: how a change to structures gets its ``updated_at``.

Partners ask for ``updated_at > since`` in (updated_at, id) order and keep the largest ``updated_at`` they
received. That misses nothing only if a change becomes visible with a stamp later than every stamp already
visible. A stamp taken when a transaction starts breaks it: a long import started at t0 and committed at t2
publishes rows stamped t0, older than the cursor a partner may have taken at t1 from a shorter write that
committed in between; the next sync skips them.

So every transaction that changes structures calls ``stamp_changes`` last, just before it commits:

1. it takes a lock that serialises stamping writers until they commit (PostgreSQL: a transaction-level
   advisory lock; SQLite: writers are already serialised by ``BEGIN IMMEDIATE``);
2. it stamps the changed rows later than every stored stamp (the clock, or the latest stamp plus one
   microsecond when the clock lags behind it).

Why no gap: let T commit with stamp s. A write U that a reader sees while T is not yet visible committed
before T took the lock (U held it through its own commit), so U's stamp is lower than s. Any cursor a
partner holds before T is visible is therefore lower than s, and T's rows appear after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.mapping import Structure

# Any fixed 64-bit number: the key of the advisory lock of structure stamping.
STAMP_LOCK_KEY = 0x61696775696C6C61
STAMP_CHUNK = 500
STAMP_ARRAY_CHUNK = 50_000


def stamp_changes(session: Session, structure_ids: Iterable[int]) -> datetime | None:
    """Stamp the structures changed by this transaction; call it last, just before the commit."""
    ids = sorted(set(structure_ids))
    if not ids:
        return None
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STAMP_LOCK_KEY})
    stamp = utcnow()
    latest = session.scalar(select(func.max(Structure.updated_at)))
    if latest is not None and stamp <= latest:
        stamp = latest + timedelta(microseconds=1)
    postgres = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL: the ids as one array parameter, a few statements for a whole import; SQLite: IN lists.
    chunk = STAMP_ARRAY_CHUNK if postgres else STAMP_CHUNK
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        session.execute(
            update(Structure)
            .where(
                Structure.id == any_(bindparam("ids", part, type_=ARRAY(Integer)))
                if postgres
                else Structure.id.in_(part)
            )
            .values(updated_at=stamp)
            .execution_options(synchronize_session="fetch")
        )
    return stamp
