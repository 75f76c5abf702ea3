"""Import of places (lieux de médiation numérique) into Structure and ServiceOffering.

Formats, told from the file (extension, then CSV header or JSON keys): the national standard v1.0.2 (CSV,
or a JSON array with the same fields), the v0.1 standard (JSON arrays or CSV, with the v0.1 vocabulary
mapped to v1 by ``vocab``), and the France Services list CSV.

Decisions:

- Upsert keyed by (source, source_id). ``source`` is the row's own ``source`` field, else a per-format
  default (``places.DEFAULT_SOURCES``). Ids are the producer's, and producers reuse each other's: the
  data-inclusion export has 3811 rows but 3571 distinct ids, because ids such as "1003" exist in several
  sources (Hinaura, siao...). Those are different places; with the source in the key they all import.
- A (source, id) seen twice in one file: the first row wins, later ones are refused with "… en double …
  déjà vu à la ligne N". Merging would invent a place nobody published.
- Each file is one transaction: any unexpected error rolls the whole file back and the report says why. A
  row refused on its own does not fail its file. A CSV file is first checked whole (encoding, quoting, a file
  cut short: refused before anything is written) and counted, then read again and written a chunk of
  ``LOAD_CHUNK`` rows at a time (cleaned, compared with the stored rows, new places in bulk: ``COPY`` on
  PostgreSQL, one prepared ``executemany`` on SQLite), so that memory holds a chunk, not the file.
- A newer version wins, by ``date_maj``. Two files publishing the same (source, id) in different states
  (the cnfs 2022-07 file and the data-inclusion 2023-02 export share 1484 permanences) would otherwise
  overwrite each other at every re-import. A row whose ``date_maj`` is not later than the stored one's
  does not replace what the producer published and is counted as ``stale`` (see ``_not_newer``): a
  producer correcting a row dates it. What the communes table derives (a commune, a point) still updates.
- A row that does not change anything is not written: ``updated_at`` moves only when a value of the
  structure or of its offerings changes (so incremental sync sees real changes only). ``is_operator`` is
  local (enrolment) and never written by an import; new rows are not operators.
- Point: the row's coordinates when valid, else the centre of its commune when the communes table knows
  it, else none. The commune is the row's INSEE code; without one, its postal code when that code has a
  single commune, or one commune of that postal code whose name matches the row's ``commune``. Such a
  resolved commune also fills ``commune_code`` (and the département). Without a commune, the département
  comes from the file (France Services' insee_dep) or from the postal code where it is certain.
- ``standard`` holds the other v1.0.2 fields that have values, as lists of strings; v0.1 fields are mapped
  by ``vocab``, and a value with no v1 equivalent is dropped.
- Snapshots (``snapshot=True``): the file is the whole current list of the sources it names, so their open
  places missing from it get ``closed_at`` (and a new ``updated_at``, for partners' incremental sync). A
  snapshot that would close more than ``MASS_CLOSE_SHARE`` of a source's open places (as they were before
  the file) is refused whole (nothing written: the check comes last, and rolls the file back) unless
  ``allow_mass_close``: a truncated export must not wipe a territory. Ids of rows
  refused in the file count as present (a row with a typo is no closure). Any import that publishes a
  closed place again reopens it.
- Offerings: one per service kind; fees are the least free of the row's fees; ``accepts_carnet`` when a
  label mentions APTIC or Pass numérique, or the structure is an operator; no own point, the effective
  point being the structure's. On update offerings are synchronised by kind and keep their ids.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, String, Table, any_, bindparam, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from batch.imports import clean
from batch.imports.places import DEFAULT_SOURCES, READERS, Place, Refused
from batch.imports.readers import FileRefused, ParsedFile, Record, read_lieux_file
from batch.imports.report import FileReport, ImportReport, Progress
from batch.sessions import Sessions
from geo.points import geometry_from_ewkt, point_ewkt, set_point, valid_point
from models import Commune, PostalCode, ServiceOffering, Structure, utcnow
from models.mapping import commune_key, department_of
from models.spreadsheet import starts_like_formula
from models.standard import standard_masks
from models.sync import stamp_changes
from resolvers.hours import refresh_open_intervals

# Rows compared and written at a time (one read of the stored rows, one bulk write of the new ones).
LOAD_CHUNK = 2000
FLUSH_EVERY = 2000
PROGRESS_EVERY = 250
STRUCTURE_COLUMNS = (
    "name",
    "street",
    "address_complement",
    "postal_code",
    "city",
    "commune_code",
    "department_code",
    "opening_hours",
    "phone",
    "email",
    "website",
    "pivot",
    "typology",
    "summary",
    "description",
    "source_updated_on",
    "standard",
    "publics_mask",
    "specific_support_mask",
)


@dataclass
class CommuneIndex:
    """The communes table in memory, for locating places: one query per table, once per import."""

    points: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    by_postal: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> CommuneIndex:
        index = cls()
        for code, name, lat, lon in session.execute(
            select(Commune.code, Commune.name, Commune.latitude, Commune.longitude)
        ):
            index.points[code] = (
                (lat, lon) if lat is not None and lon is not None and valid_point(lat, lon) else None
            )
            index.names[code] = name
            index.keys[code] = commune_key(name)
        by_postal: dict[str, list[str]] = defaultdict(list)
        for postal, code in session.execute(
            select(PostalCode.postal_code, PostalCode.commune_code).order_by(
                PostalCode.postal_code, PostalCode.commune_code
            )
        ):
            by_postal[postal].append(code)
        index.by_postal = dict(by_postal)
        return index

    def resolve(self, insee: str | None, postal: str | None, city: str) -> str | None:
        if insee is not None:
            return insee
        candidates = self.by_postal.get(postal or "", [])
        if len(candidates) == 1:
            return candidates[0]
        key = commune_key(city)
        matching = [code for code in candidates if self.keys.get(code) == key]
        return matching[0] if len(matching) == 1 else None


def locate(place: Place, communes: CommuneIndex) -> None:
    """Settle the place's commune, département and point (see the module's docstring)."""
    columns = place.columns
    code = communes.resolve(place.insee_code, columns["postal_code"] or None, columns["city"])
    columns["commune_code"] = code
    if code is not None:
        columns["department_code"] = department_of(code)
    else:
        columns["department_code"] = place.department_hint or clean.department_from_postal(
            columns["postal_code"] or None
        )
    if not columns["city"] and code in communes.names:
        columns["city"] = communes.names[code]
    if place.latitude is None and code is not None:
        point = communes.points.get(code)
        if point is not None:
            place.latitude, place.longitude = point


def _offering_values(place: Place, is_operator: bool) -> dict[str, dict[str, Any]]:
    return {
        kind.value: {
            "fees": place.fees.value if place.fees else None,
            "modalities": place.modalities,
            "accepts_carnet": place.carnet or is_operator,
        }
        for kind in place.kinds
    }


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for ``count`` new rows of ``table``, taken before they are written (their offerings need them)."""
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                {"table": table.name, "count": count},
            )
        )
    # SQLite gives a new row the largest id plus one; writers are serialised (BEGIN IMMEDIATE).
    last = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def _copy(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: ``COPY`` the rows into the table, in the session's transaction."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    names = ", ".join(columns)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


STRUCTURE_INSERT = (
    "id",
    "source",
    "source_id",
    "is_operator",
    "created_at",
    "updated_at",
    *STRUCTURE_COLUMNS,
)
OFFERING_INSERT = (
    "structure_id",
    "kind",
    "fees",
    "modalities",
    "accepts_carnet",
    "own_latitude",
    "own_longitude",
)
POINT_COLUMNS = ("latitude", "longitude", "location")


def _insert_new(session: Session, places: list[Place], now: datetime) -> list[int]:
    """New structures and their offerings, in bulk: ``COPY`` on PostgreSQL, one prepared ``executemany`` per
    table on SQLite. Their ids are taken first, so that the offerings' rows are made without a round trip."""
    if not places:
        return []
    structures = Structure.metadata.tables[Structure.__tablename__]
    offerings = ServiceOffering.metadata.tables[ServiceOffering.__tablename__]
    ids = _new_ids(session, structures, len(places))
    points = [
        None if place.latitude is None or place.longitude is None else (place.latitude, place.longitude)
        for place in places
    ]
    structure_rows = [
        (
            pk,
            place.source,
            place.source_id,
            False,
            now,
            now,
            *[place.columns[name] for name in STRUCTURE_COLUMNS],
        )
        for pk, place in zip(ids, places, strict=True)
    ]
    offering_rows = [
        (pk, kind.value, place.fees.value if place.fees else None, place.modalities, place.carnet, None, None)
        for pk, place in zip(ids, places, strict=True)
        for kind in place.kinds
    ]
    offering_points = [point for point, place in zip(points, places, strict=True) for _ in place.kinds]
    if session.get_bind().dialect.name == "postgresql":
        standard = STRUCTURE_INSERT.index("standard")

        def located(
            rows: list[tuple[Any, ...]], at: list[tuple[float, float] | None]
        ) -> Iterator[tuple[Any, ...]]:
            for row, point in zip(rows, at, strict=True):
                yield (*row, None, None, None) if point is None else (*row, *point, point_ewkt(*point))

        _copy(
            session,
            structures,
            (*STRUCTURE_INSERT, *POINT_COLUMNS),
            (
                (*row[:standard], json.dumps(row[standard]), *row[standard + 1 :])
                for row in located(structure_rows, points)
            ),
        )
        _copy(session, offerings, (*OFFERING_INSERT, *POINT_COLUMNS), located(offering_rows, offering_points))
    else:
        _executemany(session, structures, STRUCTURE_INSERT, structure_rows, points)
        if offering_rows:
            _executemany(session, offerings, OFFERING_INSERT, offering_rows, offering_points)
    return ids


def _executemany(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    points: list[tuple[float, float] | None],
) -> None:
    """SQLite: one prepared INSERT for all the rows, their values converted by the columns' own types (what
    SQLAlchemy would do row by row), the point given as extended WKT (``geo.points``)."""
    dialect = session.get_bind().dialect
    convert = [
        (index, processor)
        for index, name in enumerate(columns)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]

    def values(row: tuple[Any, ...], point: tuple[float, float] | None) -> tuple[Any, ...]:
        converted = list(row)
        for index, processor in convert:
            if converted[index] is not None:
                converted[index] = processor(converted[index])
        if point is None:
            return (*converted, None, None, None)
        return (*converted, *point, point_ewkt(*point))

    names = ", ".join((*columns, *POINT_COLUMNS))
    marks = ", ".join(["?"] * (len(columns) + 2) + [geometry_from_ewkt(dialect.name, "?")])
    session.connection().exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
        [values(row, point) for row, point in zip(rows, points, strict=True)],
    )


# Settled by ``locate`` from the communes table rather than published by the producer.
DERIVED_COLUMNS = frozenset({"commune_code", "department_code", "city"})


def _update_structure(
    row: Structure, place: Place, *, apply: bool = True, published_only: bool = False
) -> bool:
    """Bring an existing row in line with the place; True when anything changed (or, with ``apply=False``,
    would change: nothing is touched then). ``published_only`` looks at what the producer published only,
    not at what the communes table derives (commune, département, a point from the commune)."""
    changed = False
    for name in STRUCTURE_COLUMNS:
        if published_only and name in DERIVED_COLUMNS:
            continue
        value = place.columns[name]
        if getattr(row, name) != value:
            changed = True
            if apply:
                # JSON columns are not tracked for in-place changes: always give a new object.
                setattr(row, name, dict(value) if isinstance(value, dict) else value)
    if not published_only and (row.latitude, row.longitude) != (place.latitude, place.longitude):
        changed = True
        if apply:
            set_point(row, place.latitude, place.longitude)

    wanted = _offering_values(place, row.is_operator)
    current = {offering.kind: offering for offering in row.offerings}
    for kind, stale in current.items():
        if kind not in wanted:
            changed = True
            if apply:
                row.offerings.remove(stale)
    for kind, values in wanted.items():
        offering = current.get(kind)
        if offering is None:
            changed = True
            if apply:
                added = ServiceOffering(kind=kind, own_latitude=None, own_longitude=None, **values)
                set_point(added, row.latitude, row.longitude)
                row.offerings.append(added)
            continue
        for name, value in values.items():
            if getattr(offering, name) != value:
                changed = True
                if apply:
                    setattr(offering, name, value)
        own = (offering.own_latitude, offering.own_longitude)
        effective = own if valid_point(*own) else (row.latitude, row.longitude)
        if not published_only and (offering.latitude, offering.longitude) != effective:
            changed = True
            if apply:
                set_point(offering, *effective)
    return changed


def _not_newer(row: Structure, place: Place) -> bool:
    """Whether the stored version stands against this row: it carries a later ``date_maj``, or the same one.

    Two files may publish one (source, id) in two states (the cnfs file of 2022-07 and the data-inclusion
    export of 2023-02 share 1484 permanences, most with the same date_maj). Letting the last file win would
    make every re-import of both flip those rows back and forth; an older or same-dated version therefore
    never replaces the stored one. A row without a date replaces only a row without a date.
    """
    incoming, stored = place.columns.get("source_updated_on"), row.source_updated_on
    if stored is None:
        return False
    return incoming is None or incoming <= stored


# The text columns a person reads, by the standard's names (what the warning names).
_READ_AS_TEXT = {
    "name": "nom",
    "street": "adresse",
    "address_complement": "complement_adresse",
    "city": "commune",
    "opening_hours": "horaires",
    "summary": "presentation_resume",
    "description": "presentation_detail",
}


def _formula_warnings(place: Place) -> list[str]:
    """Text a spreadsheet would run as a formula: kept as published, neutralised by the CSV export."""
    return [
        f"{label} « {value[:40]} » commence comme une formule de tableur : gardé tel quel, "
        "précédé d'une apostrophe dans l'export CSV"
        for column, label in _READ_AS_TEXT.items()
        if isinstance(value := place.columns.get(column), str) and starts_like_formula(value)
    ]


@dataclass
class _Reading:
    """What reading a file remembers from one chunk to the next: the (source, id) seen, and at which row."""

    read: Callable[[Record, str], Place]
    default_source: str
    first_seen: dict[tuple[str, str], int] = field(default_factory=dict)


def _places(records: Iterable[Record], reading: _Reading, report: FileReport) -> list[Place]:
    """The places of these records, refused rows and duplicates reported."""
    places: list[Place] = []
    first_seen = reading.first_seen
    for record in records:
        if record.problem is not None:
            report.refuse(record.row, _raw_id(record), record.problem)
            continue
        try:
            place = reading.read(record, reading.default_source)
        except Refused as exc:
            report.refuse(record.row, _raw_id(record), str(exc))
            continue
        key = (place.source, place.source_id)
        if key in first_seen:
            report.refuse(
                record.row,
                place.source_id,
                f"id « {place.source_id} » en double (source « {place.source} ») : "
                f"déjà vu à la ligne {first_seen[key]}, ligne ignorée",
            )
            continue
        first_seen[key] = record.row
        place.columns.update(standard_masks(place.columns["standard"]))
        for warning in [*place.warnings, *_formula_warnings(place)]:
            report.warn(record.row, place.source_id, warning)
        report.details["hours_unreadable"] += place.hours_unreadable
        places.append(place)
    return places


def _raw_id(record: Record) -> str | None:
    return clean.one_line(record.data.get("id_fs" if "id_fs" in record.data else "id"), 200)


# A snapshot closing more than this share of a source's open places is refused (see the module's docstring).
MASS_CLOSE_SHARE = 0.2


class MassClose(Exception):
    """A snapshot would close too many places of a source."""


@dataclass
class _Snapshot:
    """The file as a snapshot: each of its sources' open places as they were before the file was written (taken
    when the source first appears, before any of its rows is written), and the ids the file lists."""

    allow_mass_close: bool
    open_before: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    present: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def see(self, session: Session, places: list[Place]) -> None:
        for place in places:
            if place.source not in self.open_before:
                self.open_before[place.source] = [
                    (pk, source_id)
                    for pk, source_id in session.execute(
                        select(Structure.id, Structure.source_id).where(
                            Structure.source == place.source, Structure.closed_at.is_(None)
                        )
                    )
                ]
            self.present[place.source].add(place.source_id)

    def to_close(self, seen_ids: set[str]) -> list[int]:
        """The open places of the file's sources that it does not list, checked against the mass-close guard
        (``seen_ids``: ids of the file's refused rows, present though not imported)."""
        closing: list[int] = []
        for source, ids in sorted(self.present.items()):
            open_rows = self.open_before[source]
            missing = [
                pk for pk, source_id in open_rows if source_id not in ids and source_id not in seen_ids
            ]
            if len(missing) > MASS_CLOSE_SHARE * len(open_rows) and not self.allow_mass_close:
                raise MassClose(
                    f"instantané refusé : il fermerait {len(missing)} des {len(open_rows)} lieux ouverts de la "
                    f"source « {source} » (plus de {MASS_CLOSE_SHARE:.0%}) ; fichier tronqué ? Relancez avec "
                    "--allow-mass-close si c'est voulu. Rien n'a été écrit"
                )
            closing += missing
        return closing


@dataclass
class _Cursor:
    """Where the write stands, so that a failure can say which rows it happened in."""

    done: int = 0
    row: int | None = None  # the row being compared or updated
    page: tuple[int, int] | None = None  # the first and last rows of the page being written


def _existing(session: Session, places: list[Place]) -> dict[tuple[str, str], Structure]:
    """The rows these places may update, with their offerings (one query per source and chunk)."""
    ids_by_source: dict[str, list[str]] = defaultdict(list)
    for place in places:
        ids_by_source[place.source].append(place.source_id)
    found: dict[tuple[str, str], Structure] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for source, ids in ids_by_source.items():
        for start in range(0, len(ids), LOAD_CHUNK):
            part = ids[start : start + LOAD_CHUNK]
            # PostgreSQL: one array parameter rather than a statement text of thousands of them.
            among = (
                Structure.source_id == any_(bindparam("ids", part, type_=ARRAY(String)))
                if postgres
                else Structure.source_id.in_(part)
            )
            query = (
                select(Structure)
                .where(Structure.source == source, among)
                .options(selectinload(Structure.offerings))
            )
            found.update({(row.source, row.source_id): row for row in session.scalars(query)})
    return found


def _close(session: Session, ids: list[int], now: datetime) -> None:
    table = Structure.metadata.tables[Structure.__tablename__]
    for start in range(0, len(ids), LOAD_CHUNK):
        session.execute(
            update(table).where(table.c.id.in_(ids[start : start + LOAD_CHUNK])).values(closed_at=now)
        )


def _batched(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(itertools.islice(records, size)):
        yield chunk


def _write(
    session: Session,
    parsed: ParsedFile,
    communes: CommuneIndex,
    report: FileReport,
    cursor: _Cursor,
    tick: Any,
    snapshot: _Snapshot | None = None,
) -> None:
    """The file's rows, read, compared and written a chunk at a time in this one transaction (all-or-nothing):
    memory holds a chunk, not the file."""
    now = utcnow()  # provisional: stamp_changes gives the changed rows their commit-time stamp
    reading = _Reading(READERS[parsed.format], DEFAULT_SOURCES[parsed.format])
    report.details["hours_unreadable"] = 0
    changed: list[int] = []  # stamped at commit
    hours: list[int] = []  # whose open intervals follow their hours (new with hours, or updated)
    reopened: list[int] = []
    for records in _batched(parsed.records(), LOAD_CHUNK):
        places = _places(records, reading, report)
        for place in places:
            locate(place, communes)
        if snapshot is not None:
            snapshot.see(session, places)
        existing = _existing(session, places)
        page: list[Place] = []
        pending: list[Place] = []
        for place in places:
            cursor.row = place.row
            page.append(place)
            row = existing.get((place.source, place.source_id))
            if row is not None and row.closed_at is not None:
                # Published again: open again, whatever else changed.
                row.closed_at = None
                row.updated_at = now
                reopened.append(row.id)
                report.details["reopened"] = report.details.get("reopened", 0) + 1
            if row is None:
                pending.append(place)
                report.taken += 1
            elif not _update_structure(row, place, apply=False):
                report.unchanged += 1
            elif _not_newer(row, place) and _update_structure(row, place, apply=False, published_only=True):
                report.stale += 1
            else:
                _update_structure(row, place)
                row.updated_at = now
                changed.append(row.id)
                hours.append(row.id)
                report.updated += 1
            cursor.done += 1
            if len(page) == FLUSH_EVERY:
                _flush(session, page, pending, now, cursor, changed, hours)
                page, pending = [], []
            if cursor.done % PROGRESS_EVERY == 0:
                tick(cursor.done)
        _flush(session, page, pending, now, cursor, changed, hours)
        # Everything of this chunk is in the transaction: its objects need not stay in memory.
        session.expunge_all()
    refresh_open_intervals(session, hours)
    if snapshot is not None:
        closing = snapshot.to_close({issue.id for issue in report.refused if issue.id})
        _close(session, closing, now)
        report.details["closed"] = len(closing)
    else:
        closing = []
    stamp_changes(session, [*changed, *reopened, *closing])


def _flush(
    session: Session,
    page: list[Place],
    pending: list[Place],
    now: datetime,
    cursor: _Cursor,
    changed: list[int],
    hours: list[int],
) -> None:
    """Write a page: the new places in bulk, the updates of the ORM objects."""
    if not page:
        return
    cursor.row, cursor.page = None, (page[0].row, page[-1].row)
    new = _insert_new(session, pending, now)
    changed += new
    hours += [pk for pk, place in zip(new, pending, strict=True) if place.columns["opening_hours"]]
    session.flush()
    cursor.page = None


def _failure(exc: Exception, cursor: _Cursor) -> str:
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    message = " ".join(str(cause).split())[:300]
    if cursor.row is not None:
        where = f"à la ligne {cursor.row}"
    elif cursor.page is not None:
        where = f"en écrivant les lignes {cursor.page[0]} à {cursor.page[1]}"
    elif cursor.done == 0:
        where = "avant la première ligne"
    else:
        where = "à la validation de la transaction"
    return f"erreur {where} ({type(cause).__name__}: {message}) ; aucune ligne de ce fichier n'a été écrite"


def import_lieux(
    db: Sessions,
    paths: Iterable[Path],
    *,
    progress: Progress | None = None,
    snapshot: bool = False,
    allow_mass_close: bool = False,
) -> ImportReport:
    """Import files of places, each file in its own all-or-nothing transaction; ``snapshot``: see the module."""
    report = ImportReport()
    parsed_files: list[tuple[FileReport, ParsedFile]] = []
    for path in paths:
        file_report = FileReport(path=str(path))
        report.files.append(file_report)
        try:
            parsed = read_lieux_file(Path(path))
        except FileRefused as exc:
            file_report.fail(str(exc))
            continue
        file_report.format = parsed.label
        file_report.rows = parsed.rows
        parsed_files.append((file_report, parsed))

    total = sum(file_report.rows for file_report, _ in parsed_files)
    base = 0

    def tick(done_in_file: int) -> None:
        if progress is not None:
            progress(base + done_in_file, total)

    with db.read() as session:
        communes = CommuneIndex.load(session)
    for file_report, parsed in parsed_files:
        cursor = _Cursor()
        try:
            with db.write() as session:
                _write(
                    session,
                    parsed,
                    communes,
                    file_report,
                    cursor,
                    tick,
                    _Snapshot(allow_mass_close) if snapshot else None,
                )
        except (MassClose, FileRefused) as exc:
            file_report.fail(str(exc))
        except Exception as exc:  # whatever it is, the file was rolled back: the report says why
            file_report.fail(_failure(exc, cursor))
        base += file_report.rows
        if progress is not None:
            progress(base, total)
    return report
