"""Import of communes: points and postal codes from La Poste, accented names from découpage administratif.

Decisions:

- The two files are merged in memory and written in ONE transaction: La Poste gives the points and postal
  codes, découpage the names; written apart, each run of one would undo the other. If either file is
  refused, nothing is written.
- One point per commune: the first La Poste row's with valid coordinates (in the 2023 file every row of a
  code carries the same coordinates, so first and mean agree).
- Paris 75056, Marseille 13055 and Lyon 69123 have no La Poste row, only their arrondissements: they get
  the mean of their arrondissements' points and all their postal codes, with or without découpage.
- Names: découpage's (accented) for its commune-actuelle and arrondissement-municipal records; its other
  records (communes déléguées, associées) share codes with real communes and are not imported. Without
  découpage, La Poste's upper-case names go to new communes only: an existing commune keeps its name.
- Additive: communes and postal codes absent from the files stay (dossiers may name old communes).
- Counts: a commune counts in the file that brings it: La Poste when it has rows there (or, for the three
  above, rows of their arrondissements), else découpage.
  Unchanged rows are not written, so a second import reports every commune unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from batch.imports import clean
from batch.imports.readers import FileRefused, Record, decode, read_csv, read_json_array
from batch.imports.report import FileReport, ImportReport, Progress
from batch.sessions import Sessions
from geo.points import point_element, valid_point
from models import Commune, CommuneSearchKey, PostalCode, map_state
from models.mapping import commune_search_keys, department_of

FORMAT_LAPOSTE = "laposte-hexasmal-csv"
FORMAT_DECOUPAGE = "decoupage-administratif-json"
LAPOSTE_COLUMNS = frozenset({"code_commune_insee", "nom_de_la_commune", "code_postal"})
COORDINATE_COLUMNS = ("coordonnees_geographiques", "coordonnees_gps")
DECOUPAGE_TYPES = frozenset({"commune-actuelle", "arrondissement-municipal"})
# The three communes with municipal arrondissements: code → (name, prefix of their arrondissements' codes).
PLM = {"75056": ("Paris", "751"), "13055": ("Marseille", "132"), "69123": ("Lyon", "6938")}
NAME_LIMIT = 200

Values = tuple[str, str | None, float | None, float | None]


@dataclass
class _Merged:
    values: dict[str, Values] = field(default_factory=dict)
    origin: dict[str, FileReport] = field(default_factory=dict)
    pairs: dict[tuple[str, str], FileReport] = field(default_factory=dict)
    named_by_decoupage: set[str] = field(default_factory=set)


def _laposte_point(value: Any) -> tuple[float, float] | None:
    raw = clean.one_line(value)
    if raw is None or raw.count(",") != 1:
        return None
    lat, lon = (clean.coordinate(part) for part in raw.split(","))
    return (lat, lon) if lat is not None and lon is not None and valid_point(lat, lon) else None


def _read_laposte(path: Path, report: FileReport, merged: _Merged) -> None:
    text, encoding = decode(path)
    header, records = read_csv(text)
    coordinates = next((name for name in COORDINATE_COLUMNS if name in header), None)
    if not set(header) >= LAPOSTE_COLUMNS or coordinates is None:
        raise FileRefused(
            "format inconnu : colonnes code_commune_insee, nom_de_la_commune, code_postal et "
            f"coordonnees_geographiques attendues (base des codes postaux de La Poste), trouvé : {', '.join(header[:8])}"
        )
    report.format = f"{FORMAT_LAPOSTE} ({encoding})" if encoding else FORMAT_LAPOSTE
    report.rows = len(records)
    names: dict[str, str] = {}
    points: dict[str, tuple[float, float] | None] = {}
    for record in records:
        raw_code = clean.one_line(record.data.get("code_commune_insee"))
        if record.problem is not None:
            report.refuse(record.row, raw_code, record.problem)
            continue
        code = clean.insee_code(raw_code)
        if code is None:
            report.refuse(record.row, raw_code, f"code_commune_insee « {raw_code} » invalide")
            continue
        name = clean.one_line(record.data.get("nom_de_la_commune"), NAME_LIMIT)
        if name is None:
            report.refuse(record.row, code, "nom_de_la_commune vide")
            continue
        raw_postal = clean.one_line(record.data.get("code_postal"))
        postal = clean.postal_code(raw_postal)
        if postal is None:
            report.refuse(record.row, code, f"code_postal « {raw_postal} » invalide (5 chiffres attendus)")
            continue
        point = _laposte_point(record.data.get(coordinates))
        if point is None and record.data.get(coordinates):
            report.warn(record.row, code, f"{coordinates} « {record.data.get(coordinates)} » illisibles")
        names.setdefault(code, name)
        if points.get(code) is None:
            points[code] = point
        merged.pairs.setdefault((postal, code), report)
    for code, name in names.items():
        lat, lon = points[code] or (None, None)
        merged.values[code] = (name, department_of(code), lat, lon)
        merged.origin[code] = report
    for parent, (name, prefix) in PLM.items():
        arrondissements = sorted(code for code in names if code.startswith(prefix) and code != parent)
        located = [p for p in (points[code] for code in arrondissements) if p is not None]
        if not arrondissements:
            continue
        lat = sum(p[0] for p in located) / len(located) if located else None
        lon = sum(p[1] for p in located) / len(located) if located else None
        merged.values[parent] = (name, department_of(parent), lat, lon)
        merged.origin[parent] = report
        for postal, code in list(merged.pairs):
            if code in arrondissements:
                merged.pairs.setdefault((postal, parent), report)


def _read_decoupage(path: Path, report: FileReport, merged: _Merged) -> None:
    if path.suffix.lower() != ".json":
        raise FileRefused(
            f"format inconnu : extension « {path.suffix} », un JSON de découpage administratif attendu"
        )
    text, encoding = decode(path)
    records: list[Record] = read_json_array(text)
    if not records or not {"code", "nom", "type"} <= set(records[0].data):
        raise FileRefused(
            "format inconnu : objets avec code, nom et type attendus (@etalab/decoupage-administratif)"
        )
    report.format = f"{FORMAT_DECOUPAGE} ({encoding})" if encoding else FORMAT_DECOUPAGE
    report.rows = len(records)
    ignored = 0
    for record in records:
        data = record.data
        raw_code = clean.one_line(data.get("code"))
        if clean.one_line(data.get("type")) not in DECOUPAGE_TYPES:
            ignored += 1
            continue
        code = clean.insee_code(raw_code)
        if code is None:
            report.refuse(record.row, raw_code, f"code « {raw_code} » invalide")
            continue
        name = clean.one_line(data.get("nom"), NAME_LIMIT)
        if name is None:
            report.refuse(record.row, code, "nom vide")
            continue
        department = clean.department_code(data.get("departement")) or department_of(code)
        _, _, lat, lon = merged.values.get(code, (name, department, None, None))
        merged.values[code] = (name, department, lat, lon)
        merged.origin.setdefault(code, report)
        merged.named_by_decoupage.add(code)
        postal_codes = data.get("codesPostaux") or data.get("codespostaux") or []
        for raw_postal in postal_codes if isinstance(postal_codes, list) else []:
            postal = clean.postal_code(raw_postal)
            if postal is None:
                report.warn(record.row, code, f"codesPostaux : « {raw_postal} » invalide, ignoré")
            else:
                merged.pairs.setdefault((postal, code), report)
    report.details["records_not_imported"] = ignored


def _write(session: Session, merged: _Merged) -> None:
    existing: dict[str, Values] = {
        code: (name, department, lat, lon)
        for code, name, department, lat, lon in session.execute(
            select(Commune.code, Commune.name, Commune.department_code, Commune.latitude, Commune.longitude)
        )
    }
    known_pairs = {
        (postal, code)
        for postal, code in session.execute(select(PostalCode.postal_code, PostalCode.commune_code))
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for code, (name, department, lat, lon) in sorted(merged.values.items()):
        report = merged.origin[code]
        before = existing.get(code)
        if before is not None and code not in merged.named_by_decoupage:
            name = before[0]
        values = (name, department, lat, lon)
        row = {
            "code": code,
            "name": name,
            "department_code": department,
            "latitude": lat,
            "longitude": lon,
            "location": point_element(lat, lon) if lat is not None and lon is not None else None,
        }
        if before is None:
            inserts.append(row)
            report.taken += 1
        elif before != values:
            updates.append(row)
            report.updated += 1
        else:
            report.unchanged += 1
    # Core statements on the tables: one multi-row statement per batch, no ORM bookkeeping per row.
    communes = Commune.metadata.tables[Commune.__tablename__]
    if inserts:
        session.execute(insert(communes), inserts)
    if updates:
        session.execute(
            update(communes).where(communes.c.code == bindparam("key")),
            # The key apart, so that the primary key is not in the SET: rewriting it would make the
            # database check every postal code that references the commune.
            [{"key": row["code"], **{k: v for k, v in row.items() if k != "code"}} for row in updates],
        )
    renamed = [row for row in updates if row["name"] != existing[row["code"]][0]]
    write_search_keys(session, inserts + renamed, replace=[row["code"] for row in renamed])
    new_pairs: list[dict[str, str]] = []
    for (postal, code), report in sorted(merged.pairs.items()):
        if (postal, code) not in known_pairs:
            new_pairs.append({"postal_code": postal, "commune_code": code})
            report.details["postal_codes_added"] = report.details.get("postal_codes_added", 0) + 1
    if new_pairs:
        session.execute(insert(PostalCode.metadata.tables[PostalCode.__tablename__]), new_pairs)
    if inserts or updates or new_pairs:
        # The exports fill a place's missing city and postal code from these tables: their validators
        # (ETag) follow map_state.version, which the triggers move for places and offerings only.
        session.execute(update(map_state).where(map_state.c.id == 1).values(version=map_state.c.version + 1))


def write_search_keys(session: Session, rows: list[dict[str, Any]], replace: Sequence[str] = ()) -> None:
    """The search index rows of these communes (``code``, ``name``), replacing those of ``replace``."""
    keys = CommuneSearchKey.metadata.tables[CommuneSearchKey.__tablename__]
    for start in range(0, len(replace), 500):
        session.execute(keys.delete().where(keys.c.commune_code.in_(replace[start : start + 500])))
    values = [
        {"key": key, "commune_code": row["code"], "rank": rank}
        for row in rows
        for key, rank in commune_search_keys(row["name"])
        if key
    ]
    if values:
        session.execute(insert(keys), values)


def import_communes(
    db: Sessions, laposte_csv: Path, decoupage_json: Path | None = None, *, progress: Progress | None = None
) -> ImportReport:
    """Import communes and postal codes; both files in one all-or-nothing transaction."""
    laposte = FileReport(path=str(laposte_csv))
    report = ImportReport(files=[laposte])
    decoupage: FileReport | None = None
    if decoupage_json is not None:
        decoupage = FileReport(path=str(decoupage_json))
        report.files.append(decoupage)

    merged = _Merged()
    steps: list[tuple[FileReport, Any]] = [
        (laposte, lambda: _read_laposte(Path(laposte_csv), laposte, merged))
    ]
    if decoupage is not None and decoupage_json is not None:
        steps.append((decoupage, lambda: _read_decoupage(Path(decoupage_json), decoupage, merged)))
    for file_report, read in steps:
        try:
            read()
        except FileRefused as exc:
            file_report.fail(str(exc))
    if not report.ok:
        for file_report in report.files:
            if file_report.failed is None:
                file_report.fail(
                    "non écrit : les fichiers de communes s'importent ensemble et un autre est refusé"
                )
        return report

    total = sum(file_report.rows for file_report in report.files)
    if progress is not None:
        progress(total // 2, total)
    for file_report in report.files:
        file_report.details.setdefault("postal_codes_added", 0)
    try:
        with db.write() as session:
            _write(session, merged)
    except Exception as exc:  # whatever it is, nothing was written: the report says why
        cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        message = " ".join(str(cause).split())[:300]
        for file_report in report.files:
            file_report.fail(f"erreur à l'écriture ({type(cause).__name__}: {message}) ; rien n'a été écrit")
    if progress is not None:
        progress(total, total)
    return report
