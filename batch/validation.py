"""Checks a CSV file against the national standard v1.0.2, a Table Schema, with ``frictionless`` (its official
validator): what ``aiguillage export validate`` reports to producers before they import or publish a file.

``frictionless`` says what is wrong; this module only says it in French, naming the row, the column and the
form the standard expects there.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The standard's own address for v1.0.2 (the ``uri`` its schema declares).
STANDARD_SCHEMA = "https://raw.githubusercontent.com/LaMednum/standard-mediation-num/v1.0.2/schema.json"

_TYPES = {
    "string": "du texte",
    "number": "un nombre (point décimal)",
    "integer": "un nombre entier",
    "date": "une date AAAA-MM-JJ",
    "datetime": "une date et heure ISO 8601",
    "boolean": "true ou false",
}


class SchemaUnavailable(Exception):
    """The Table Schema could not be read; the message says where from and why."""


@dataclass(frozen=True)
class Problem:
    row: int | None  # the file's line (1 = header), None for the file as a whole
    field: str | None
    message: str  # in French, with the expected form

    def __str__(self) -> str:
        where = "fichier" if self.row is None else f"ligne {self.row}"
        return (
            f"{where}, colonne {self.field} : {self.message}" if self.field else f"{where} : {self.message}"
        )


@dataclass(frozen=True)
class Result:
    valid: bool
    rows: int
    problems: list[Problem]


def load_schema(source: str | Path | None = None) -> dict[str, Any]:
    """The schema's descriptor, from a file or a URL (default: the standard's published v1.0.2)."""
    text = str(source or STANDARD_SCHEMA)
    try:
        if text.startswith(("http://", "https://")):
            with urllib.request.urlopen(text, timeout=30) as response:  # noqa: S310 - http(s) only
                return dict(json.load(response))
        return dict(json.loads(Path(text).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise SchemaUnavailable(f"schéma illisible ({text}) : {exc}") from exc


def expected_form(field: Any) -> str:
    """What the standard expects in one column, from its Table Schema field."""
    constraints = field.constraints or {}
    parts = [_TYPES.get(field.type, field.type)]
    if "pattern" in constraints:
        parts.append(f"au motif {constraints['pattern']}")
    if "enum" in constraints:
        parts.append("parmi : " + ", ".join(map(str, constraints["enum"])))
    if "minLength" in constraints:
        parts.append(f"d'au moins {constraints['minLength']} caractères")
    if "maxLength" in constraints:
        parts.append(f"d'au plus {constraints['maxLength']} caractères")
    for key, label in (("minimum", "au moins"), ("maximum", "au plus")):
        if key in constraints:
            parts.append(f"{label} {constraints[key]}")
    if field.example:
        parts.append(f"ex. {field.example}")
    return ", ".join(parts)


def _problem(error: Any, fields: dict[str, Any]) -> Problem:
    row = getattr(error, "row_number", None)
    name = getattr(error, "field_name", None) or None
    cell = getattr(error, "cell", None)
    field = fields.get(name) if name else None
    expected = f"attendu : {expected_form(field)}" if field is not None else ""
    match error.type:
        case "constraint-error" if "required" in error.note:
            return Problem(row, name, f"valeur obligatoire, absente ici ; {expected}")
        case "type-error" | "constraint-error":
            return Problem(row, name, f"« {cell} » ne convient pas ; {expected}")
        case "missing-cell":
            return Problem(row, name, f"cellule manquante (ligne trop courte) ; {expected}")
        case "extra-cell":
            return Problem(row, None, f"cellule en trop : « {cell} » (le standard a {len(fields)} colonnes)")
        case "blank-row":
            return Problem(row, None, "ligne vide")
        case "unique-error" | "primary-key":
            return Problem(
                row, name or "id", "valeur déjà utilisée plus haut : chaque lieu a son identifiant"
            )
        case "missing-label":
            return Problem(1, name, "colonne absente de l'en-tête")
        case "extra-label":
            return Problem(1, None, f"colonne « {getattr(error, 'label', '')} » inconnue du standard")
        case "incorrect-label":
            return Problem(
                1, name, f"l'en-tête dit « {getattr(error, 'label', '')} » à la place de « {name} »"
            )
        case "duplicate-label":
            return Problem(1, None, f"colonne « {getattr(error, 'label', '')} » en double dans l'en-tête")
        case "encoding-error":
            return Problem(None, None, "encodage illisible : UTF-8 attendu")
    # Others (file unreadable, format unknown): frictionless' own words.
    return Problem(row, name, f"{error.title} : {error.message}")


def validate_csv(path: str | Path, schema: dict[str, Any], max_errors: int = 20) -> Result:
    """The first ``max_errors`` problems of a CSV file in the standard (none: it conforms)."""
    from frictionless import Resource, Schema

    table_schema = Schema.from_descriptor(schema)
    file = Path(path).resolve()
    # frictionless refuses absolute paths unless told where the data lives.
    resource = Resource(path=file.name, basepath=str(file.parent), schema=table_schema, format="csv")
    report = resource.validate(limit_errors=max_errors)
    fields = {field.name: field for field in table_schema.fields}
    problems = [_problem(error, fields) for task in report.tasks for error in task.errors]
    problems += [_problem(error, fields) for error in report.errors]
    rows = sum(task.stats.get("rows") or 0 for task in report.tasks)
    return Result(report.valid, rows, problems[:max_errors])
