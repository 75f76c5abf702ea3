"""Retention (RGPD): dossiers archived longer than ``AIGUILLAGE_RETENTION_DAYS`` are deleted with their
history; anonymous statistics records remain.

``purge`` is one transaction (the caller's session): for each dossier, an ``AnonymousDossier`` and its
``AnonymousStep``s (written from the live history by the projection statistics read, so that the figures do
not change), the personal fields of its notifications cleared, its events and the dossier deleted. Several
workers may run it at once: on PostgreSQL the candidates are locked with ``FOR UPDATE SKIP LOCKED``, so two
workers never take the same dossier; SQLite serialises writers (``BEGIN IMMEDIATE``). The final delete is
conditional (still archived before the cutoff): a dossier retrieved in the meantime is not purged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from models import AnonymousDossier, AnonymousStep, Dossier, DossierEvent, DossierEventKind, DossierStatus
from models.sql import month_start
from resolvers.statistics import live_steps

BATCH = 200

# What else holds a dossier's personal data, cleared by the purge: one function per table, taking the ids.
Scrub = Callable[[Session, Sequence[int]], None]
SCRUBS: tuple[Scrub, ...] = ()


class PurgeRaced(RuntimeError):
    """A candidate changed under the purge: the transaction is rolled back and nothing is purged."""


def _anonymise(session: Session, dossier_id: int) -> None:
    events = DossierEvent.__table__
    reorientations = (
        select(func.count())
        .select_from(events)
        .where(events.c.dossier_id == dossier_id, events.c.kind == DossierEventKind.REORIENTED.value)
        .scalar_subquery()
    )
    last_decline = (
        select(events.c.decline_reason)
        .where(events.c.dossier_id == dossier_id, events.c.kind == DossierEventKind.DECLINED.value)
        .order_by(events.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    anonymous_id = session.execute(
        insert(AnonymousDossier)
        .from_select(
            ["needs", "structure_id", "reorientations", "archive_reason", "decline_reason", "archived_month"],
            select(
                Dossier.needs,
                Dossier.structure_id,
                reorientations,
                Dossier.archive_reason,
                last_decline,
                month_start(Dossier.archived_at),
            ).where(Dossier.id == dossier_id),
        )
        .returning(AnonymousDossier.id)
    ).scalar_one()
    steps = live_steps().where(DossierEvent.dossier_id == dossier_id).order_by(DossierEvent.id).subquery()
    session.execute(
        insert(AnonymousStep).from_select(
            [
                "anonymous_dossier_id",
                "kind",
                "month",
                "from_structure_id",
                "to_structure_id",
                "archive_reason",
                "decline_reason",
                "days_to_take_in_charge",
            ],
            select(
                literal(anonymous_id),
                steps.c.kind,
                month_start(steps.c.at),
                steps.c.from_structure_id,
                steps.c.to_structure_id,
                steps.c.archive_reason,
                steps.c.decline_reason,
                steps.c.days,
            ),
        )
    )


def purge(session: Session, now: datetime, retention_days: int) -> int:
    """Purge every dossier archived before ``now - retention_days``, in the caller's transaction; the
    number purged."""
    cutoff = now - timedelta(days=retention_days)
    purgeable = (Dossier.status == DossierStatus.ARCHIVED.value, Dossier.archived_at < cutoff)
    purged, after = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(Dossier.id)
                .where(*purgeable, Dossier.id > after)
                .order_by(Dossier.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not ids:
            return purged
        for pk in ids:
            _anonymise(session, pk)
        for scrub in SCRUBS:
            scrub(session, ids)
        session.execute(
            delete(DossierEvent)
            .where(DossierEvent.dossier_id.in_(ids))
            .execution_options(synchronize_session=False)
        )
        deleted = session.execute(
            delete(Dossier)
            .where(Dossier.id.in_(ids), *purgeable)
            .execution_options(synchronize_session=False)
        )
        if deleted.rowcount != len(ids):  # type: ignore[attr-defined]
            raise PurgeRaced("a dossier changed while it was being purged; nothing was purged")
        purged += len(ids)
        after = ids[-1]
