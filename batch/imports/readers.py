"""Reading import files: decoding, CSV and JSON records, and telling the formats apart from their content."""

from __future__ import annotations

import csv
import functools
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.standard import V1_ONLY

FORMAT_V1_CSV = "lieux-v1.0.2-csv"
FORMAT_V1_JSON = "lieux-v1.0.2-json"
FORMAT_V0_CSV = "lieux-v0.1-csv"
FORMAT_V0_JSON = "lieux-v0.1-json"
FORMAT_FRANCE_SERVICES = "france-services-csv"

# Fields both versions of the national standard require.
LIEUX_CORE = frozenset({"id", "nom", "commune", "code_postal", "adresse"})
FRANCE_SERVICES_CORE = frozenset({"id_fs", "lib_fs", "code_postal", "insee_com"})


# Longest first: the UTF-32 little-endian BOM begins with UTF-16's.
UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


class FileRefused(Exception):
    """The whole file cannot be imported; the message says why, in terms the producer understands."""


@dataclass
class Record:
    """One record: ``row`` is its 1-based position; ``problem`` is set when the record is unusable."""

    row: int
    data: dict[str, Any]
    problem: str | None = None


@dataclass
class ParsedFile:
    path: Path
    format: str
    records: list[Record]
    encoding: str | None = None

    @property
    def label(self) -> str:
        return f"{self.format} ({self.encoding})" if self.encoding else self.format


def decode(path: Path) -> tuple[str, str | None]:
    """The file's text and, when it was not UTF-8, the encoding used instead."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FileRefused(f"lecture impossible : {exc.strerror or exc}") from None
    for bom, codec in UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), codec
            except UnicodeDecodeError:
                raise FileRefused(
                    f"encodage {codec} annoncé (BOM) mais contenu illisible dans cet encodage"
                ) from None
    if b"\x00" in raw:
        # UTF-8 and Windows-1252 text never holds NUL; UTF-16 or UTF-32 without a BOM is full of them.
        raise FileRefused(
            "encodage UTF-16 ou UTF-32 sans marque d'ordre des octets (BOM) : enregistrez le fichier en UTF-8 "
            "(« CSV UTF-8 » dans un tableur)"
        )
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        # Spreadsheet exports on Windows; cp1252 decodes any byte sequence but the five undefined ones.
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise FileRefused("encodage inconnu : ni UTF-8 ni Windows-1252") from None


@functools.lru_cache(maxsize=1024)
def _header_key(name: str) -> str:
    return name.strip().lstrip("\ufeff#").strip().lower()


def read_csv(text: str) -> tuple[list[str], list[Record]]:
    """Header (lower-cased) and records; the delimiter (",", ";" or tab) is the most frequent in line 1."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # strict: a quoted field still open at the end of the file (a file cut short) is an error, not a value.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [_header_key(name) for name in next(reader)]
    except StopIteration:
        raise FileRefused("fichier vide : pas de ligne d'en-tête") from None
    except csv.Error as exc:
        raise FileRefused(f"en-tête CSV illisible : {exc}") from None
    if len(set(header)) != len(header):
        doubles = sorted({name for name in header if header.count(name) > 1})
        raise FileRefused(f"colonnes en double dans l'en-tête : {', '.join(doubles)}")
    records: list[Record] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            row = len(records) + 1
            if len(values) != len(header):
                records.append(
                    Record(
                        row, {}, f"{len(values)} champs pour {len(header)} colonnes d'en-tête : ligne décalée"
                    )
                )
                continue
            records.append(Record(row, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":
            raise FileRefused(
                f"fichier tronqué : un champ entre guillemets n'est pas refermé à la fin du fichier "
                f"(après l'enregistrement {len(records)}) ; rien n'est importé, envoyez le fichier entier"
            ) from None
        raise FileRefused(f"CSV illisible après l'enregistrement {len(records)} : {exc}") from None
    if records and records[-1].problem is not None and not text.endswith(("\n", "\r")):
        raise FileRefused(
            f"fichier tronqué : le dernier enregistrement ({records[-1].row}) est incomplet et le fichier ne "
            "finit pas par un saut de ligne ; rien n'est importé, envoyez le fichier entier"
        )
    return header, records


def read_json_array(text: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRefused(f"JSON invalide ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}") from None
    except RecursionError:
        raise FileRefused(
            "JSON trop imbriqué : un tableau d'objets (un objet par lieu) est attendu, pas des tableaux "
            "dans des tableaux"
        ) from None
    if not isinstance(data, list):
        raise FileRefused(
            f"un tableau JSON d'objets est attendu, le fichier contient un {type(data).__name__}"
        )
    records: list[Record] = []
    for index, element in enumerate(data, start=1):
        if not isinstance(element, dict):
            raise FileRefused(
                f"élément {index} du tableau : un objet JSON est attendu, trouvé {type(element).__name__}"
            )
        records.append(Record(index, {_header_key(str(key)): value for key, value in element.items()}))
    return records


def _lieux_format(keys: set[str], *, csv_file: bool) -> str | None:
    if keys >= FRANCE_SERVICES_CORE and csv_file:
        return FORMAT_FRANCE_SERVICES
    if keys >= LIEUX_CORE:
        if keys & V1_ONLY:
            return FORMAT_V1_CSV if csv_file else FORMAT_V1_JSON
        return FORMAT_V0_CSV if csv_file else FORMAT_V0_JSON
    return None


def _unknown(what: str, keys: set[str]) -> FileRefused:
    shown = ", ".join(sorted(keys)[:12]) or "aucune"
    return FileRefused(
        f"format inconnu : {what} ({shown}) ; attendu : un fichier de lieux au standard v1.0.2 ou v0.1 "
        f"(colonnes {', '.join(sorted(LIEUX_CORE))}) ou la liste des France services (id_fs, lib_fs, ...)"
    )


def read_lieux_file(path: Path) -> ParsedFile:
    """Records of a file of places and its format, told by extension and header or keys, not by a flag."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise FileRefused(
            f"format inconnu : extension « {path.suffix or '(aucune)'} », .csv ou .json attendu"
        )
    text, encoding = decode(path)
    if suffix == ".csv":
        header, records = read_csv(text)
        found = _lieux_format(set(header), csv_file=True)
        if found is None:
            raise _unknown("colonnes", set(header))
    else:
        records = read_json_array(text)
        keys: set[str] = set()
        for record in records:
            keys.update(record.data)
        if not records:
            raise FileRefused("tableau JSON vide : aucun lieu à importer")
        found = _lieux_format(keys, csv_file=False)
        if found is None:
            raise _unknown("clés", keys)
    return ParsedFile(path, found, records, encoding)
