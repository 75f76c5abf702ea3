"""Reading import files: decoding, CSV and JSON records, and telling the formats apart from their content."""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import json
from collections.abc import Callable, Iterable, Iterator
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
# Bytes read at a time when a file is streamed.
BLOCK = 1 << 20


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
    """A file's format and its records: ``records()`` reads them (again) one by one; ``rows`` counts them."""

    path: Path
    format: str
    records: Callable[[], Iterator[Record]]
    rows: int
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


def _delimiter(first_line: str) -> str:
    """The most frequent of ",", ";" and tab in the first line."""
    return max((",", ";", "\t"), key=first_line.count)


def _csv_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = [_header_key(name) for name in next(reader)]
    except StopIteration:
        raise FileRefused("fichier vide : pas de ligne d'en-tête") from None
    except csv.Error as exc:
        raise FileRefused(f"en-tête CSV illisible : {exc}") from None
    if len(set(header)) != len(header):
        doubles = sorted({name for name in header if header.count(name) > 1})
        raise FileRefused(f"colonnes en double dans l'en-tête : {', '.join(doubles)}")
    return header


def _csv_rows(reader: Iterator[list[str]], width: int) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(row, values, problem) of each non-blank record after the header: values None when ``problem``."""
    row = 0
    try:
        for values in reader:
            if not (values and values[0].strip()) and not any(value.strip() for value in values):
                continue
            row += 1
            if len(values) != width:
                yield row, None, f"{len(values)} champs pour {width} colonnes d'en-tête : ligne décalée"
            else:
                yield row, values, None
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":
            raise FileRefused(
                f"fichier tronqué : un champ entre guillemets n'est pas refermé à la fin du fichier "
                f"(après l'enregistrement {row}) ; rien n'est importé, envoyez le fichier entier"
            ) from None
        raise FileRefused(f"CSV illisible après l'enregistrement {row} : {exc}") from None


def _cut_short(last_row: int, last_problem: bool, ends_with_newline: bool) -> None:
    if last_problem and not ends_with_newline:
        raise FileRefused(
            f"fichier tronqué : le dernier enregistrement ({last_row}) est incomplet et le fichier ne "
            "finit pas par un saut de ligne ; rien n'est importé, envoyez le fichier entier"
        )


def _reader(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    # strict: a quoted field still open at the end of the file (a file cut short) is an error, not a value.
    return csv.reader(lines, delimiter=delimiter, strict=True)


def read_csv(text: str) -> tuple[list[str], list[Record]]:
    """Header (lower-cased) and records; the delimiter (",", ";" or tab) is the most frequent in line 1."""
    reader = _reader(io.StringIO(text, newline=""), _delimiter(text.split("\n", 1)[0]))
    header = _csv_header(reader)
    records = [
        Record(row, {} if values is None else dict(zip(header, values, strict=True)), problem)
        for row, values, problem in _csv_rows(reader, len(header))
    ]
    if records:
        _cut_short(records[-1].row, records[-1].problem is not None, text.endswith(("\n", "\r")))
    return header, records


class _Lines:
    """The lines of a text stream, remembering the last one (does the file end with a line break?)."""

    def __init__(self, handle: Iterable[str]) -> None:
        self.handle = handle
        self.last = ""

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.last = line
            yield line


def _encoding(path: Path) -> tuple[str, int, str | None]:
    """How to read the file as text, without holding it: (codec, bytes of BOM to skip, encoding to report).

    The same decisions as ``decode``, taken over the bytes in blocks."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
            for bom, codec in UNICODE_BOMS:
                if start.startswith(bom):
                    handle.seek(len(bom))
                    decoder = codecs.getincrementaldecoder(codec)()
                    try:
                        while block := handle.read(BLOCK):
                            decoder.decode(block)
                        decoder.decode(b"", final=True)
                    except UnicodeDecodeError:
                        raise FileRefused(
                            f"encodage {codec} annoncé (BOM) mais contenu illisible dans cet encodage"
                        ) from None
                    return codec, len(bom), codec
            handle.seek(0)
            utf8 = codecs.getincrementaldecoder("utf-8")()
            cp1252 = codecs.getincrementaldecoder("cp1252")()
            is_utf8, is_cp1252 = True, True
            while block := handle.read(BLOCK):
                if b"\x00" in block:
                    raise FileRefused(
                        "encodage UTF-16 ou UTF-32 sans marque d'ordre des octets (BOM) : enregistrez le fichier "
                        "en UTF-8 (« CSV UTF-8 » dans un tableur)"
                    )
                if is_utf8:
                    try:
                        utf8.decode(block)
                    except UnicodeDecodeError:
                        is_utf8 = False
                if not is_utf8 and is_cp1252:
                    try:
                        cp1252.decode(block)
                    except UnicodeDecodeError:
                        is_cp1252 = False
            if is_utf8:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    is_utf8 = False
    except OSError as exc:
        raise FileRefused(f"lecture impossible : {exc.strerror or exc}") from None
    if is_utf8:
        return "utf-8-sig", 0, None
    if not is_cp1252:
        raise FileRefused("encodage inconnu : ni UTF-8 ni Windows-1252")
    # cp1252 was only checked from the block where UTF-8 failed: check the whole file.
    try:
        with path.open("rb") as handle:
            decoder = codecs.getincrementaldecoder("cp1252")()
            while block := handle.read(BLOCK):
                decoder.decode(block)
    except UnicodeDecodeError:
        raise FileRefused("encodage inconnu : ni UTF-8 ni Windows-1252") from None
    return "cp1252", 0, "cp1252"


@dataclass
class CsvStream:
    """A CSV file read record by record, as often as needed, never held whole."""

    path: Path
    codec: str
    skip: int
    delimiter: str
    # What the first reading saw (size and modification time, records): a second reading of a file that changed
    # in between would write other rows than those checked and counted.
    seen: tuple[int, int] = (0, 0)
    count: int = 0

    def _unchanged(self, rows: int | None = None) -> None:
        stat = self.path.stat()
        if (stat.st_size, stat.st_mtime_ns) != self.seen or (rows is not None and rows != self.count):
            raise FileRefused("le fichier a changé pendant l'import : relancez l'import sur un fichier fixe")

    @contextlib.contextmanager
    def _open(self) -> Iterator[io.TextIOWrapper]:
        with self.path.open("rb") as raw:
            raw.seek(self.skip)
            yield io.TextIOWrapper(raw, encoding=self.codec, newline="")

    @classmethod
    def open(cls, path: Path) -> tuple[CsvStream, list[str], int]:
        """The stream, its header and its number of records, the whole file checked as ``read_csv`` does."""
        stat = path.stat() if path.exists() else None
        codec, skip, _ = _encoding(path)
        stream = cls(path, codec, skip, ",")
        if stat is not None:
            stream.seen = (stat.st_size, stat.st_mtime_ns)
        with stream._open() as handle:
            stream.delimiter = _delimiter(handle.readline().split("\n", 1)[0])
        with stream._open() as handle:
            lines = _Lines(handle)
            reader = _reader(lines, stream.delimiter)
            header = _csv_header(reader)
            rows, problem = 0, False
            for rows, values, _ in _csv_rows(reader, len(header)):  # noqa: B007 (the last row counts them)
                problem = values is None
            if rows:
                _cut_short(rows, problem, lines.last.endswith(("\n", "\r")))
        stream.count = rows
        stream._unchanged()
        return stream, header, rows

    def records(self) -> Iterator[Record]:
        self._unchanged()
        row = 0
        with self._open() as handle:
            reader = _reader(handle, self.delimiter)
            header = _csv_header(reader)
            for row, values, problem in _csv_rows(reader, len(header)):
                yield Record(row, {} if values is None else dict(zip(header, values, strict=True)), problem)
        self._unchanged(row)


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
    """Records of a file of places and its format, told by extension and header or keys, not by a flag.

    A CSV file is checked whole (encoding, quoting, a file cut short) and counted here, then read again record
    by record by ``records()``, so that its size does not weigh on memory; a JSON file is parsed whole."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise FileRefused(
            f"format inconnu : extension « {path.suffix or '(aucune)'} », .csv ou .json attendu"
        )
    if suffix == ".csv":
        stream, header, rows = CsvStream.open(path)
        found = _lieux_format(set(header), csv_file=True)
        if found is None:
            raise _unknown("colonnes", set(header))
        encoding = None if stream.codec == "utf-8-sig" else stream.codec
        return ParsedFile(path, found, stream.records, rows, encoding)
    text, encoding = decode(path)
    records = read_json_array(text)
    keys: set[str] = set()
    for record in records:
        keys.update(record.data)
    if not records:
        raise FileRefused("tableau JSON vide : aucun lieu à importer")
    found = _lieux_format(keys, csv_file=False)
    if found is None:
        raise _unknown("clés", keys)
    return ParsedFile(path, found, lambda: iter(records), len(records), encoding)
