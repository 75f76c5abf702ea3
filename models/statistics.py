"""What remains of a purged dossier: anonymous statistics records (no name, carnet, commune, note or actor).

A purged dossier leaves one ``AnonymousDossier`` (its needs, last holder, reasons, number of reorientations)
and one ``AnonymousStep`` per history event, with the month of the step instead of its instant, and for a
taking in charge the days it waited. Statistics read them beside the live history (resolvers/statistics.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime


class AnonymousDossier(Base):
    __tablename__ = "anonymous_dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    needs: Mapped[str] = mapped_column(String(500), default="")  # ServiceKind names joined by ","
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))  # the last holder
    reorientations: Mapped[int] = mapped_column(Integer, default=0)
    archive_reason: Mapped[str | None] = mapped_column(String(30))
    decline_reason: Mapped[str | None] = mapped_column(String(30))  # of its last decline, if any
    archived_month: Mapped[datetime] = mapped_column(UTCDateTime)


class AnonymousStep(Base):
    __tablename__ = "anonymous_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    anonymous_dossier_id: Mapped[int] = mapped_column(
        ForeignKey("anonymous_dossiers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # The first instant (UTC) of the month the step happened in: never the day or the time.
    month: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    from_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))
    to_structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))
    archive_reason: Mapped[str | None] = mapped_column(String(30))
    decline_reason: Mapped[str | None] = mapped_column(String(30))
    days_to_take_in_charge: Mapped[float | None] = mapped_column(Float)
