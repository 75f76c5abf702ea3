"""The public mapping: structures (places), their service offerings, and the communes that give points.

Every located row keeps its point twice: ``latitude``/``longitude`` for reading, and a ``location`` geometry
(SRID 4326, spatially indexed) that only ``geo/`` queries. ``geo.points.set_point`` keeps them in step.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    or_,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from models.base import Base, UTCDateTime, utcnow
from models.hours import local_moment_fr


def point_column() -> Any:
    return deferred(
        mapped_column(Geometry(geometry_type="POINT", srid=4326, spatial_index=True), nullable=True)
    )


# The one pattern of an INSEE commune code (2A/2B in Corsica; no "20"; overseas 97x/98x) and of a postal
# code: the map, the dossiers, the importers and the exports all read these.
INSEE_COMMUNE_CODE = re.compile(r"(?:[013-9]\d|2[AB1-9])\d{3}")
POSTAL_CODE = re.compile(r"\d{5}")


def department_of(commune_code: str | None) -> str | None:
    """INSEE département of a commune code: 2 characters (2A/2B in Corsica), 3 overseas (97x, 98x)."""
    if not commune_code or len(commune_code) != 5:
        return None
    return commune_code[:3] if commune_code.startswith(("97", "98")) else commune_code[:2]


# Whole words written short in commune names (La Poste writes "ST ETIENNE", others "Saint-Étienne").
_SHORT_WORDS = {"st": "saint", "ste": "sainte"}
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})


def commune_words(name: str, *, partial: bool = False) -> list[str]:
    """A commune name as comparable words: case, accents, hyphens, apostrophes ignored, « St » = « Saint ».

    ``partial``: the last word is being typed (a search box): "st" may still become "strasbourg", so it is
    left as it is.
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    words = re.findall(r"[a-z0-9]+", ascii_only)
    last = len(words) - 1 if partial else len(words)
    return [_SHORT_WORDS.get(w, w) if i < last else w for i, w in enumerate(words)]


def commune_key(name: str, *, partial: bool = False) -> str:
    """The key two spellings of one commune share: "ST ETIENNE" and "Saint-Étienne" give "saintetienne"."""
    return "".join(commune_words(name, partial=partial))


def commune_search_keys(name: str) -> list[tuple[str, int]]:
    """(key, rank) rows of the search index: the whole name (rank 0), then from each later word on (rank 1),
    so that "rouvray" finds Saint-Étienne-du-Rouvray after the names that start with it."""
    words = commune_words(name)
    keys: dict[str, int] = {}
    for start in range(len(words)):
        keys.setdefault("".join(words[start:])[:SEARCH_KEY_LIMIT], 0 if start == 0 else 1)
    return list(keys.items())


SEARCH_KEY_LIMIT = 200


class Commune(Base):
    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(String(3), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[Any] = point_column()


class CommuneSearchKey(Base):
    """The communes' search index: prefix ranges on ``key`` (bytewise order; "C" collation on PostgreSQL)."""

    __tablename__ = "commune_search_keys"

    key: Mapped[str] = mapped_column(String(SEARCH_KEY_LIMIT), primary_key=True)
    commune_code: Mapped[str] = mapped_column(
        ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int] = mapped_column(Integer, default=0)


class PostalCode(Base):
    __tablename__ = "postal_codes"

    postal_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    commune_code: Mapped[str] = mapped_column(
        ForeignKey("communes.code", ondelete="CASCADE"), primary_key=True
    )


class Structure(Base):
    __tablename__ = "structures"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_structures_source_source_id"),
        Index("ix_structures_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(300), default="")
    address_complement: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    department_code: Mapped[str | None] = mapped_column(String(3), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[Any] = point_column()
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    opening_hours: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(1000))
    pivot: Mapped[str | None] = mapped_column(String(20))
    typology: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    source_updated_on: Mapped[date | None] = mapped_column(Date)
    # The other fields of the national standard v1.0.2, by their standard name, values as lists of strings.
    standard: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its source stopped publishing it (a snapshot import): only partners asking includeClosed see it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A member pausing new orientations, until a date or (None) until it resumes.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bits of the Public and SpecificSupport values in ``standard`` (models.standard.standard_masks), for
    # the filters: one integer test per row instead of reading JSON.
    publics_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    specific_support_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Kept by database triggers from the offerings (migrations/versions/0007_viewport.py), never written here:
    # their kinds, distinct, sorted and joined by commas (None without offerings), and whether one of them
    # accepts carnets. The map's GeoJSON reads them with the place instead of aggregating its offerings.
    offering_kinds: Mapped[str | None] = deferred(mapped_column(Text))
    offering_carnet: Mapped[bool] = deferred(mapped_column(Boolean, server_default=false()))

    offerings: Mapped[list[ServiceOffering]] = relationship(
        back_populates="structure", cascade="all, delete-orphan", order_by="ServiceOffering.id"
    )


def accepting_orientations(structure: Structure, now: datetime) -> bool:
    """A member, open, and not paused (a pause past its ``until`` is over by itself)."""
    return (
        structure.is_operator
        and structure.closed_at is None
        and not (structure.paused and (structure.paused_until is None or structure.paused_until > now))
    )


def pause_message(structure: Structure, field: str) -> str:
    """Why a structure takes no orientation now, naming the field and, for a pause, until when."""
    if not structure.is_operator:
        return f"{field} : « {structure.name} » n'est pas membre de la plateforme et ne reçoit pas d'orientations"
    if structure.closed_at is not None:
        return f"{field} : « {structure.name} » est fermé (sa source ne le publie plus)"
    if structure.paused_until is not None:
        until = local_moment_fr(structure.paused_until, structure.department_code)
        return f"{field} : « {structure.name} » ne prend pas de nouvelles orientations jusqu'au {until}"
    return f"{field} : « {structure.name} » ne prend pas de nouvelles orientations jusqu'à nouvel ordre"


def accepting_orientations_sql(now: datetime) -> ColumnElement[bool]:
    """``accepting_orientations`` as a condition on structures."""
    return and_(
        Structure.is_operator.is_(True),
        Structure.closed_at.is_(None),
        or_(
            Structure.paused.is_(False),
            and_(Structure.paused_until.is_not(None), Structure.paused_until <= now),
        ),
    )


class ServiceOffering(Base):
    __tablename__ = "service_offerings"
    __table_args__ = (UniqueConstraint("structure_id", "kind", name="uq_service_offerings_structure_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    fees: Mapped[str | None] = mapped_column(String(30))
    accepts_carnet: Mapped[bool] = mapped_column(Boolean, default=False)
    modalities: Mapped[str | None] = mapped_column(String(500))
    # Its own point when the source gave one; latitude/longitude/location are the effective point
    # (own, else the structure's), kept in step by geo.points.
    own_latitude: Mapped[float | None] = mapped_column(Float)
    own_longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location: Mapped[Any] = point_column()

    structure: Mapped[Structure] = relationship(back_populates="offerings")


class OpenInterval(Base):
    """When a structure is open in an ordinary week (minutes of the week, local time) and on public holidays
    (minutes of the day), derived from its ``opening_hours`` by ``models.hours.weekly_intervals``; the zone is
    the structure's, so that ``openAt`` compares each row with the instant in its own zone."""

    __tablename__ = "open_intervals"

    structure_id: Mapped[int] = mapped_column(
        ForeignKey("structures.id", ondelete="CASCADE"), primary_key=True
    )
    holiday: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    start_minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    end_minute: Mapped[int] = mapped_column(Integer)
    time_zone: Mapped[str] = mapped_column(String(40))


# One row, kept by database triggers (migrations/versions/0004_perf.py): ``version`` changes with every write
# to structures or offerings, ``structures`` is their exact count. Outside Base.metadata on purpose: it is
# not data that anything may empty or rewrite, and a version that went back could validate a stale map.
map_state = Table(
    "map_state",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("structures", BigInteger, nullable=False),
)


# Kept by database triggers (migrations/versions/0007_viewport.py), outside Base.metadata like ``map_state``:
# how many structures there are per set of offering kinds (``structures.offering_kinds``, "" for none) and
# closing. At most 2**9 × 2 rows: a count filtered by kinds is the sum over the sets that meet them.
kind_sets = Table(
    "kind_sets",
    MetaData(),
    Column("kinds", Text, primary_key=True),
    Column("closed", Boolean, primary_key=True),
    Column("structures", BigInteger, nullable=False),
)
