"""Export of the public mapping: the national standard v1.0.2 as CSV rows (the map's GeoJSON: resolvers.geojson).

The CSV follows "Standard de données des lieux de médiation numérique" v1.0.2: its 32 columns in order,
``|`` between values, the services' labels verbatim, dates as YYYY-MM-DD. Values the standard constrains
(phones, enumerations) are normalised or left out when they cannot conform, and the required fields are
derived when the row lacks them:

- ``pivot``: the SIRET/RNA when it has the standard's form, else "00000000000000" (the standard's "unknown");
- ``commune``: the commune's name from the communes table when the address has none;
- ``code_postal``: the first postal code of the commune when the address has none;
- ``date_maj``: the source's update date, else the day the row last changed here.

A row that still lacks a required field (name, street, commune, postal code) is not exported: the file
claims conformity, and a partner's validator would reject the whole file for it. The caller logs them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, case, cast, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models import SERVICE_LABELS, Commune, Fees, PostalCode, ServiceKind, ServiceOffering, Structure
from models.mapping import INSEE_COMMUNE_CODE, POSTAL_CODE
from models.spreadsheet import FORMULA_START, neutralise_formula, starts_like_formula
from models.standard import ALLOWED, FEES_LABELS, FREE_TEXT, PIVOT, SEPARATOR, V1_COLUMNS
from resolvers.ids import global_id_sql, to_global_id

PIVOT_UNKNOWN = "00000000000000"
SUMMARY_MAX = 280


PHONE = re.compile(r"(?:\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)\d{6,9}")
# Overseas numbers dial their own country code: the first digits of the national number tell which.
OVERSEAS_PREFIXES = {
    "+590": ("0590", "0690", "0691"),
    "+596": ("0596", "0696", "0697"),
    "+594": ("0594", "0694"),
    "+262": ("0262", "0263", "0692", "0693", "0269", "0639"),
    "+508": ("0508",),
}
OVERSEAS_COUNTRY_CODES = {"986": "+681", "987": "+689", "988": "+687"}


def phone_number(raw: str | None, department: str | None) -> str:
    """International form without spaces (``+33180059880``), or "" when the value cannot be one."""
    if not raw:
        return ""
    compact = re.sub(r"[\s.\-/()]", "", raw.split(SEPARATOR)[0])
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+") and re.fullmatch(r"0\d{9}", compact):
        country = next(
            (cc for cc, prefixes in OVERSEAS_PREFIXES.items() if compact.startswith(prefixes)), "+33"
        )
        compact = country + compact[1:]
    elif (
        not compact.startswith("+")
        and department in OVERSEAS_COUNTRY_CODES
        and re.fullmatch(r"\d{6}", compact)
    ):
        compact = OVERSEAS_COUNTRY_CODES[department] + compact
    # "+33 (0)1…" written as "+330…": the trunk zero goes.
    compact = re.sub(r"^(\+(?:33|590|594|262|596|269|687|689|508|681))0", r"\1", compact)
    return compact if PHONE.fullmatch(compact) else ""


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def _split(raw: str | None, pattern: str) -> list[str]:
    return [part for part in re.split(pattern, raw or "") if part]


def _enumerated(name: str, values: Sequence[str]) -> str:
    """The values the standard accepts, in the order published (a file exported back is unchanged)."""
    allowed = set(ALLOWED[name])
    kept = [v for v in dict.fromkeys(values) if v in allowed]
    return SEPARATOR.join(kept)


def _summary(text: str | None) -> str:
    text = (text or "").strip()
    # The standard's limit is on the written cell, which a neutralised formula starts with an apostrophe.
    room = SUMMARY_MAX - 1 if starts_like_formula(text) else SUMMARY_MAX
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


# ---------- the offerings of a structure, aggregated in SQL as one integer ----------

# Bit i: the i-th kind of the vocabulary; bit len(ServiceKind) + j: the j-th fee. The CASE expressions below
# are generated from these tables, and the labels read back from the same bits: one vocabulary, no copy.
KIND_BITS: dict[ServiceKind, int] = {kind: 1 << i for i, kind in enumerate(ServiceKind)}
FEE_BITS: dict[Fees, int] = {fee: 1 << (len(KIND_BITS) + j) for j, fee in enumerate(Fees)}


def offerings_masks(
    session: Session, after_id: int, last_id: int, only: Sequence[int] | None = None
) -> dict[int, int]:
    """The kinds and fees of the offerings of the structures in ``(after_id, last_id]``, one integer of bits per
    structure, aggregated in SQL over the range (one index range scan and a ``GROUP BY``, cheaper than a
    lookup per structure). Kinds are unique per structure (``uq_service_offerings_structure_kind``), so their
    sum is their OR; a fee's bit is the maximum over the structure's offerings."""
    kind = case({k.value: bit for k, bit in KIND_BITS.items()}, value=ServiceOffering.kind, else_=0)
    mask: ColumnElement[Any] = func.sum(kind)
    for fee, bit in FEE_BITS.items():
        mask = mask + func.max(case((ServiceOffering.fees == fee.value, bit), else_=0))
    stmt = (
        select(ServiceOffering.structure_id, mask)
        .where(ServiceOffering.structure_id > after_id, ServiceOffering.structure_id <= last_id)
        .group_by(ServiceOffering.structure_id)
    )
    if only is not None:
        stmt = stmt.where(ServiceOffering.structure_id.in_(only))
    return dict(session.execute(stmt).all())


class _Services(dict[int, str]):
    """The ``services`` cell of each kinds mask, labels in the vocabulary's order, written once per mask."""

    def __missing__(self, mask: int) -> str:
        text = SEPARATOR.join(SERVICE_LABELS[k] for k, bit in KIND_BITS.items() if mask & bit)
        self[mask] = text
        return text


class _FeeLabels(dict[int, list[str]]):
    def __missing__(self, mask: int) -> list[str]:
        labels = [FEES_LABELS[f] for f, bit in FEE_BITS.items() if mask & bit]
        self[mask] = labels
        return labels


_SERVICES = _Services()
_FEE_LABELS = _FeeLabels()


@dataclass(frozen=True)
class _Published:
    """What a structure's ``standard`` (its other published fields) gives to the row, computed once per text."""

    typology: str  # the typologie published there, for a row whose own column is empty
    fees: list[str]  # frais_a_charge as published, for a row whose offerings say no fee
    cells: dict[str, str]  # the enumerated and free-text columns, ready


class _PublishedByText(dict[str | None, _Published]):
    def __missing__(self, text: str | None) -> _Published:
        extra: dict[str, Any] = (json.loads(text) if text else None) or {}
        cells = {name: _enumerated(name, _values(extra.get(name))) for name in ALLOWED}
        for name in FREE_TEXT:
            cells[name] = SEPARATOR.join(_values(extra.get(name)))
        published = _Published(
            SEPARATOR.join(_values(extra.get("typologie"))), _values(extra.get("frais_a_charge")), cells
        )
        if len(self) < 4096:  # most places publish nothing, or the same few fields; memory stays bounded
            self[text] = published
        return published


# ---------- rows of the standard ----------


@dataclass(frozen=True)
class Fallbacks:
    """What the communes table can tell about rows whose address is incomplete."""

    commune_names: dict[str, str] = field(default_factory=dict)
    postal_codes: dict[str, str] = field(default_factory=dict)


# The columns a row is made of, in the order ``_row`` unpacks them.
ROW_COLUMNS = (
    Structure.id,
    Structure.pivot,
    Structure.name,
    Structure.city,
    Structure.postal_code,
    Structure.commune_code,
    Structure.department_code,
    Structure.street,
    Structure.address_complement,
    Structure.latitude,
    Structure.longitude,
    Structure.typology,
    Structure.phone,
    Structure.email,
    Structure.website,
    Structure.opening_hours,
    Structure.summary,
    Structure.description,
    Structure.source,
    Structure.source_updated_on,
    Structure.updated_at,
    # As text: decoded once per distinct value (most are "{}"), not once per row.
    cast(Structure.standard, Text),
)
_FORMULA = tuple(FORMULA_START)


def needs_fallback(row: Sequence[Any]) -> str | None:
    """The commune code whose fallbacks the row needs (no usable postal code or city), else None."""
    insee = (row[5] or "").strip().upper()
    if not INSEE_COMMUNE_CODE.fullmatch(insee):
        return None
    if POSTAL_CODE.fullmatch((row[4] or "").strip()) and (row[3] or "").strip():
        return None
    return insee


def standard_cells(
    row: Sequence[Any], mask: int, fallbacks: Fallbacks, published: dict[str | None, _Published] | None = None
) -> list[str] | None:
    """The cells of the standard v1.0.2 for a row of ``ROW_COLUMNS`` and its offerings' bits, in column order,
    formulas neutralised; None if a required field is missing. Plain tuples in, strings out: this runs once
    per exported place."""
    (
        pk,
        pivot,
        name,
        city,
        postal,
        insee,
        department,
        street,
        complement,
        latitude,
        longitude,
        typology,
        phone,
        email,
        website,
        hours,
        summary,
        description,
        source,
        source_updated_on,
        updated_at,
        standard_text,
    ) = row
    insee = (insee or "").strip().upper()
    if insee and not INSEE_COMMUNE_CODE.fullmatch(insee):
        insee = ""
    postal = (postal or "").strip()
    if not POSTAL_CODE.fullmatch(postal):
        postal = fallbacks.postal_codes.get(insee, "")
    city = (city or "").strip() or fallbacks.commune_names.get(insee, "")
    name, street = " ".join(name.split()), " ".join((street or "").split())
    if not (name and street and city and postal):
        return None
    extra = (published if published is not None else _PublishedByText())[standard_text]
    pivot = (pivot or "").strip()
    fee_labels = _FEE_LABELS[mask] or extra.fees
    cells = extra.cells
    values = [
        to_global_id("Structure", pk),
        pivot if PIVOT.fullmatch(pivot) else PIVOT_UNKNOWN,
        name,
        city,
        postal,
        insee,
        street,
        complement.strip() if complement else "",
        "" if latitude is None else repr(latitude),
        "" if longitude is None else repr(longitude),
        (SEPARATOR.join(_split(typology, r"\s*[;|]\s*")) if typology else "") or extra.typology,
        phone_number(phone, department) if phone else "",
        SEPARATOR.join(p for p in _split(email, r"[\s;,|]+") if "@" in p) if email else "",
        SEPARATOR.join(_split(website, r"[\s;|]+")) if website else "",
        hours.strip() if hours else "",
        _summary(summary) if summary else "",
        description.strip() if description else "",
        source or "",
        cells["itinerance"],
        cells["structure_parente"],
        (source_updated_on or updated_at.date()).isoformat(),
        _SERVICES[mask],
        cells["publics_specifiquement_adresses"],
        cells["prise_en_charge_specifique"],
        _enumerated("frais_a_charge", fee_labels) if fee_labels else "",
        cells["dispositif_programmes_nationaux"],
        cells["formations_labels"],
        cells["autres_formations_labels"],
        cells["modalites_acces"],
        cells["modalites_accompagnement"],
        cells["fiche_acces_libre"],
        cells["prise_rdv"],
    ]
    return [neutralise_formula(v) if v.startswith(_FORMULA) else v for v in values]


_QUOTES = 2 * (len(V1_COLUMNS) - 1)


def csv_line(cells: Sequence[str]) -> str:
    """One record as ``csv.writer(quoting=QUOTE_ALL, lineterminator="\\r\\n")`` writes it, without its cost."""
    body = '","'.join(cells)
    if body.count('"') != _QUOTES:  # a cell holds a quote: double it
        body = '","'.join(c.replace('"', '""') for c in cells)
    return '"' + body + '"\r\n'


CSV_HEADER = csv_line(V1_COLUMNS)


@dataclass(frozen=True)
class Batch:
    text: str  # the batch's records, ready to send
    rows: int  # how many records the text holds
    last_id: int | None  # where the next batch starts; None when this one was the last
    skipped: list[int]  # structures left out for lack of a required field


def standard_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    """The next ``size`` structures (by id) as CSV records of the standard: one keyset step of a streamed
    export: the structures' columns as tuples, then their offerings' kinds and fees aggregated in SQL."""
    # Closed places are left out: the file is the current list; partners learn closures by includeClosed.
    if session.get_bind().dialect.name == "postgresql":
        return _pg_batch(session, after_id, updated_since, size)
    return python_batch(session, after_id, updated_since, size)


def python_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    """``standard_batch`` written by ``standard_cells`` (SQLite; and on PostgreSQL, the reference the tests
    compare the database's records with)."""
    stmt = select(*ROW_COLUMNS).where(Structure.id > after_id, Structure.closed_at.is_(None))
    if updated_since is not None:
        stmt = stmt.where(Structure.updated_at > updated_since)
    rows = session.execute(stmt.order_by(Structure.id).limit(size)).all()
    if not rows:
        return Batch("", 0, None, [])
    masks = offerings_masks(session, after_id, rows[-1][0])
    wanted = {code for code in map(needs_fallback, rows) if code}
    fallbacks = _fallbacks(session, wanted)
    published = _PUBLISHED
    lines: list[str] = []
    skipped: list[int] = []
    for row in rows:
        cells = standard_cells(row, masks.get(row[0], 0), fallbacks, published)
        if cells is None:
            skipped.append(row[0])
        else:
            lines.append(csv_line(cells))
    last = rows[-1][0] if len(rows) == size else None
    return Batch("".join(lines), len(lines), last, skipped)


_PUBLISHED = _PublishedByText()


# ---------- the same records, written by PostgreSQL ----------
#
# On PostgreSQL the database writes each record itself, in the statement that reads the batch, so that Python
# only concatenates: the rules above, as SQL generated from the same tables and patterns. A row the SQL cannot
# write to the byte as ``standard_cells`` would is "not plain" and goes through ``standard_cells``: a phone,
# e-mail, website or typology to normalise, published fields of the standard (``standard`` not empty), a commune
# code or postal code outside ASCII (Python's ``\d`` and ``upper`` know more characters than PostgreSQL's), a
# coordinate that ``repr`` could write in exponent form. Everything else is exact: ``btrim`` with Python's
# whitespace characters is ``str.strip``, collapsing their runs is ``" ".join(s.split())``, and lengths count
# characters on both sides. ``tests/test_export.py`` compares both writers on rows made to sit on each border.

# Python's whitespace (``str.split``, ``str.strip`` and ``re``'s ``\s``): 29 characters, none special in a
# bracket expression. Passed as parameters, never spelt in the SQL text.
_WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
_SQL_PARAMS = {
    "ws": _WHITESPACE,
    "ws_any": f"[{_WHITESPACE}]",
    "ws_run": f"[{_WHITESPACE}]+",
    "ws_odd": f"[{_WHITESPACE.replace(' ', '')}]|  ",  # whitespace that " ".join(s.split()) would change
    "formula_start": "[" + "".join(sorted(FORMULA_START)).replace("-", "") + "-]",
    "insee": "^(?:[013-9][0-9]|2[AB1-9])[0-9]{3}$",  # INSEE_COMMUNE_CODE on ASCII text
    "postal": "^[0-9]{5}$",  # POSTAL_CODE on ASCII text
    "pivot": "^[a-zA-Z0-9]{9,14}$",  # PIVOT
    "unknown_pivot": PIVOT_UNKNOWN,
}
# The SQL patterns above restate these on ASCII text: a change to one of them must be made there too.
assert INSEE_COMMUNE_CODE.pattern == r"(?:[013-9]\d|2[AB1-9])\d{3}" and POSTAL_CODE.pattern == r"\d{5}"
assert PIVOT.pattern == "[a-zA-Z0-9]{9,14}" and SEPARATOR == "|"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pg_record_sql(updated_since: bool) -> str:
    # Labels in the vocabulary's order, without sorting each place's offerings: one bool_or per kind and fee.
    services = "concat_ws('|', {})".format(
        ", ".join(
            f"CASE WHEN bool_or(o.kind = {_literal(k.value)}) THEN {_literal(SERVICE_LABELS[k])} END"
            for k in ServiceKind
        )
    )
    fees = "concat_ws('|', {})".format(
        ", ".join(
            f"CASE WHEN bool_or(o.fees = {_literal(f.value)}) THEN {_literal(FEES_LABELS[f])} END"
            for f in Fees
            if FEES_LABELS[f] in ALLOWED["frais_a_charge"]
        )
    )
    labels = [*SERVICE_LABELS.values(), *FEES_LABELS.values()]
    assert not any(starts_like_formula(label) or '"' in label for label in labels)
    # The structure's text columns. The standard's cells are these stripped (a row with whitespace at an edge
    # of any of them, rare, is stripped whole with Python's whitespace: ``tidy`` says there is none), name and
    # street with their inner runs of whitespace collapsed (only where there is more than single spaces).
    raw = {
        "name": "structures.name",
        "street": "coalesce(structures.street, '')",
        "city": "coalesce(structures.city, '')",
        "complement": "coalesce(structures.address_complement, '')",
        "hours": "coalesce(structures.opening_hours, '')",
        "summary": "coalesce(structures.summary, '')",
        "description": "coalesce(structures.description, '')",
        "postal": "coalesce(structures.postal_code, '')",
        "insee": "coalesce(structures.commune_code, '')",
        "pivot": "coalesce(structures.pivot, '')",
    }
    edges = " || ".join(f"left({r}, 1) || right({r}, 1)" for r in raw.values())
    batch = f"""
        SELECT structures.id, {", ".join(f"{r} AS {name}" for name, r in raw.items())},
               coalesce(structures.source, '') AS source,
               structures.latitude, structures.longitude,
               to_char(coalesce(structures.source_updated_on, (structures.updated_at AT TIME ZONE 'UTC')::date),
                       'YYYY-MM-DD') AS updated,
               ({edges}) !~ :ws_any AS tidy,
               coalesce(structures.phone, '') = '' AND coalesce(structures.email, '') = ''
                 AND coalesce(structures.website, '') = '' AND coalesce(structures.typology, '') = ''
                 AND (structures.standard IS NULL OR structures.standard::text IN ('{{}}', 'null'))
                 AND octet_length({raw["postal"]}) = length({raw["postal"]})
                 AND octet_length({raw["insee"]}) = length({raw["insee"]})
                 AND (structures.latitude IS NULL OR structures.latitude = 0
                      OR (abs(structures.latitude) >= 0.0001 AND abs(structures.latitude) < 1e15))
                 AND (structures.longitude IS NULL OR structures.longitude = 0
                      OR (abs(structures.longitude) >= 0.0001 AND abs(structures.longitude) < 1e15)) AS plain
        FROM structures
        WHERE structures.id > :after AND structures.closed_at IS NULL
              {"AND structures.updated_at > :since" if updated_since else ""}
        ORDER BY structures.id LIMIT :size"""
    collapsed = (
        "CASE WHEN s.tidy AND s.{0} !~ :ws_odd THEN s.{0} "
        "ELSE regexp_replace(btrim(s.{0}, :ws), :ws_run, ' ', 'g') END AS {0}"
    )
    stripped = "CASE WHEN s.tidy THEN s.{0} ELSE btrim(s.{0}, :ws) END AS {0}"
    cleaned = ",\n               ".join(
        [collapsed.format("name"), collapsed.format("street")]
        + [
            stripped.format(name)
            for name in ("city", "complement", "hours", "summary", "description", "pivot")
        ]
        + [stripped.format("postal"), f"upper({stripped.format('insee').removesuffix(' AS insee')}) AS insee"]
    )
    # The cells that can start like a formula: a row where one does goes through Python (neutralise_formula).
    texts = ("name", "street", "city", "complement", "hours", "summary", "description", "source")
    number = "CASE WHEN {0} IS NULL THEN '' WHEN {0} = trunc({0}) THEN {0}::text || '.0' ELSE {0}::text END"
    quoted = "replace({}, '\"', '\"\"')"
    cells = {
        "id": global_id_sql("Structure", "b.id"),
        "pivot": "CASE WHEN b.pivot ~ :pivot THEN b.pivot ELSE :unknown_pivot END",
        "nom": quoted.format("b.name"),
        "commune": quoted.format("b.city"),
        "code_postal": "b.postal",
        "code_insee": "b.insee",
        "adresse": quoted.format("b.street"),
        "complement_adresse": quoted.format("b.complement"),
        "latitude": number.format("b.latitude"),
        "longitude": number.format("b.longitude"),
        "horaires": quoted.format("b.hours"),
        "presentation_resume": quoted.format(
            f"CASE WHEN length(b.summary) <= {SUMMARY_MAX} THEN b.summary "
            f"ELSE rtrim(left(b.summary, {SUMMARY_MAX - 1}), :ws) || '…' END"
        ),
        "presentation_detail": quoted.format("b.description"),
        "source": quoted.format("b.source"),
        "date_maj": "b.updated",
        "services": "coalesce(o.services, '')",
        "frais_a_charge": "coalesce(o.fees, '')",
    }
    # A plain row has none of the others: typologie, telephone, courriels, site_web, the standard's own.
    record = "concat_ws('\",\"', {})".format(", ".join(cells.get(c, "''") for c in V1_COLUMNS))
    return f"""
    WITH s AS MATERIALIZED ({batch}),
    c AS (
        SELECT s.id, s.source, s.latitude, s.longitude, s.updated, s.plain,
               {cleaned}
        FROM s WHERE s.plain
    ),
    b AS (
        SELECT c.id, c.name, c.street, c.complement, c.hours, c.summary, c.description, c.source, c.pivot,
               c.latitude, c.longitude, c.updated,
               CASE WHEN c.insee ~ :insee THEN c.insee ELSE '' END AS insee,
               CASE WHEN c.city <> '' THEN c.city
                    ELSE coalesce((SELECT m.name FROM communes m
                                   WHERE m.code = c.insee AND c.insee ~ :insee), '') END AS city,
               CASE WHEN c.postal ~ :postal THEN c.postal
                    ELSE coalesce((SELECT min(p.postal_code) FROM postal_codes p
                                   WHERE p.commune_code = c.insee AND c.insee ~ :insee), '') END AS postal
        FROM c
        WHERE ({" || ".join(f"left(c.{t}, 1)" for t in texts)}) !~ :formula_start
    ),
    o AS (
        SELECT o.structure_id, {services} AS services, {fees} AS fees
        FROM service_offerings o
        WHERE o.structure_id > :after AND o.structure_id <= (SELECT max(s.id) FROM s)
        GROUP BY o.structure_id
    )
    SELECT s.id,
           CASE WHEN b.id IS NULL THEN NULL
                WHEN b.name = '' OR b.street = '' OR b.city = '' OR b.postal = '' THEN ''
                ELSE '"' || {record} || E'"\\r\\n' END AS line
    FROM s LEFT JOIN b ON b.id = s.id LEFT JOIN o ON o.structure_id = s.id
    ORDER BY s.id"""


_PG_RECORDS = {since: text(_pg_record_sql(since)) for since in (False, True)}


def _pg_batch(session: Session, after_id: int, updated_since: datetime | None, size: int) -> Batch:
    """``standard_batch`` on PostgreSQL: the plain rows' records come written; the others through Python."""
    params: dict[str, Any] = {**_SQL_PARAMS, "after": after_id, "size": size}
    if updated_since is not None:
        params["since"] = updated_since
    rows = session.execute(_PG_RECORDS[updated_since is not None], params).all()
    if not rows:
        return Batch("", 0, None, [])
    lines: list[str | None] = [line for _, line in rows]
    others = [i for i, line in enumerate(lines) if line is None]
    if others:
        for i, line in zip(others, _python_lines(session, [rows[i][0] for i in others]), strict=True):
            lines[i] = line
    skipped = [pk for (pk, _), line in zip(rows, lines, strict=True) if line == ""]
    written = "".join(line for line in lines if line)
    return Batch(written, len(rows) - len(skipped), rows[-1][0] if len(rows) == size else None, skipped)


def _python_lines(session: Session, ids: list[int]) -> list[str]:
    """The records of these structures (ids ascending) by ``standard_cells``; "" for one left out."""
    rows = session.execute(select(*ROW_COLUMNS).where(Structure.id.in_(ids)).order_by(Structure.id)).all()
    masks = offerings_masks(session, ids[0] - 1, ids[-1], ids)
    fallbacks = _fallbacks(session, {code for code in map(needs_fallback, rows) if code})
    out = []
    for row in rows:
        cells = standard_cells(row, masks.get(row[0], 0), fallbacks, _PUBLISHED)
        out.append("" if cells is None else csv_line(cells))
    return out


# Changes with the files' shape, so that a client holding an older file does not get a 304 for it.
EXPORT_FORMAT = "2"


def validator(version: int, name: str, updated_since: datetime | None) -> str:
    """The strong ETag of the export ``name``: the map's data version (``map_state.version``, moved by the
    database on every write to places and offerings, and by the communes import whose names and postal codes
    fill the rows' gaps) and the normalised query (``updated_since`` as a UTC instant), never the body, which
    is streamed. Read the version before the rows, so that a write in between can only make it older."""
    since = updated_since.astimezone(UTC).isoformat() if updated_since is not None else ""
    key = repr((EXPORT_FORMAT, name, since)).encode()
    return f'"{version}-{hashlib.blake2b(key, digest_size=12).hexdigest()}"'


def _fallbacks(session: Session, wanted: set[str]) -> Fallbacks:
    if not wanted:
        return Fallbacks()
    names = {
        code: name
        for code, name in session.execute(select(Commune.code, Commune.name).where(Commune.code.in_(wanted)))
    }
    postal: dict[str, str] = {}
    pairs = session.execute(
        select(PostalCode.commune_code, PostalCode.postal_code)
        .where(PostalCode.commune_code.in_(wanted))
        .order_by(PostalCode.commune_code, PostalCode.postal_code)
    )
    for code, postal_code in pairs:
        postal.setdefault(code, postal_code)
    return Fallbacks(names, postal)
