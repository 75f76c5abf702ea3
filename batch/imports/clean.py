"""Cleaning of single values from data in the wild: text, codes, numbers, dates, contacts.

Each function returns a cleaned value or None; none of them raises on bad input. Data in the wild is
messy, and a value that cannot be cleaned is dropped rather than failing its row.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from models.mapping import INSEE_COMMUNE_CODE
from models.standard import PIVOT

_LEADING_POSTAL = re.compile(r"(\d{5})(?!\d)")
_SIRET_OR_SIREN = re.compile(r"(\d{14}|\d{9})(?!\d)")
# Saint-Barthélemy and Saint-Martin use Guadeloupe postal codes but are collectivities of their own.
_POSTAL_NOT_DEPARTMENT = {"97133", "97150"}


def fix_mojibake(value: str) -> str:
    """UTF-8 that was decoded as Windows-1252 once ("LÃ©guillon" → "Léguillon"), else the value as is."""
    if "Ã" not in value and "â€" not in value and "Â" not in value:
        return value
    for codec in ("cp1252", "latin-1"):
        try:
            return value.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return value


def text(value: Any, limit: int | None = None) -> str | None:
    """A trimmed string, or None when empty. Lists (JSON sources) are joined with "|"."""
    if isinstance(value, str):
        if not value:
            return None
        cleaned = value
    elif value is None or isinstance(value, bool):
        return None
    elif isinstance(value, list):
        cleaned = "|".join(part for part in (text(item) for item in value) if part)
    elif isinstance(value, float) and value.is_integer():
        cleaned = str(int(value))
    else:
        cleaned = str(value)
    if "\x00" in cleaned:
        # PostgreSQL refuses NUL in text; SQLite would keep it: drop it on both.
        cleaned = cleaned.replace("\x00", "")
    if "\u00a0" in cleaned:
        cleaned = cleaned.replace("\u00a0", " ")
    cleaned = fix_mojibake(cleaned).strip()
    if not cleaned:
        return None
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def one_line(value: Any, limit: int | None = None) -> str | None:
    cleaned = text(value)
    if cleaned is None:
        return None
    cleaned = " ".join(cleaned.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def postal_code(value: Any) -> str | None:
    """Five digits. Leading zeros lost by spreadsheets are restored ("1200" → "01200"); a suffix such as
    "Cedex" is dropped ("30252Cedex" → "30252"). Anything else is not a postal code."""
    raw = text(value)
    if raw is None:
        return None
    compact = raw.replace(" ", "")
    if re.fullmatch(r"\d{4}", compact):
        return "0" + compact
    match = _LEADING_POSTAL.match(compact)
    return match.group(1) if match else None


def insee_code(value: Any) -> str | None:
    raw = text(value)
    if raw is None:
        return None
    code = raw.replace(" ", "").upper()
    if re.fullmatch(r"\d{4}", code):
        code = "0" + code
    return code if INSEE_COMMUNE_CODE.fullmatch(code) else None


def department_from_postal(postal: str | None) -> str | None:
    """The département of a postal code where the code tells it for sure.

    Corsica (20xxx) is left unknown: its postal codes do not split cleanly between 2A and 2B.
    """
    if postal is None or len(postal) != 5 or not postal.isdigit() or postal in _POSTAL_NOT_DEPARTMENT:
        return None
    if postal.startswith(("97", "98")):
        return postal[:3]
    if postal.startswith(("00", "20")) or postal[:2] > "95":
        return None
    return postal[:2]


def department_code(value: Any) -> str | None:
    raw = one_line(value)
    if raw is None:
        return None
    code = raw.upper()
    if re.fullmatch(r"\d", code):
        code = "0" + code
    return code if re.fullmatch(r"(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]|98[4-9])", code) else None


def coordinate(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = str(value).strip().replace(",", ".")
        try:
            number = float(raw)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def day(value: Any) -> date | None:
    """An ISO date (a datetime's date part accepted), or a French dd/mm/yyyy date."""
    raw = one_line(value)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    try:
        return datetime.strptime(raw[:10], "%d/%m/%Y").date()
    except ValueError:
        return None


def pivot(value: Any) -> str | None:
    """The SIRET/SIREN (or RNA) pivot of the standard; a SIRET followed by junk keeps the SIRET."""
    raw = one_line(value)
    if raw is None:
        return None
    compact = raw.replace(" ", "")
    if PIVOT.fullmatch(compact):
        return compact
    match = _SIRET_OR_SIREN.match(compact)
    return match.group(1) if match else None


def contacts(value: Any, *, urls: bool = False) -> list[str]:
    """Several e-mail addresses or URLs written in one field, split on "|", ";", "," or " - "."""
    raw = text(value)
    if raw is None:
        return []
    if urls:
        # A URL may hold ";" or ",": split on them only where the next value starts a new URL.
        parts = re.split(r"\s*\|\s*|\s*[;,\s]\s*(?=https?://|www\.)", raw)
    else:
        # Split only where the next piece is an address: "x@domaine.gouv,fr" is one (mistyped) address.
        parts = re.split(r"(?:\s*[|;,]\s*|\s+-\s+)(?=[^|;,\s]*@)", raw)
    found: list[str] = []
    for part in parts:
        cleaned = part.strip()
        if cleaned and cleaned not in found:
            found.append(cleaned)
    return found


def joined(values: list[str], limit: int) -> str | None:
    """Values joined with "|", dropping trailing ones that would not fit the column."""
    kept: list[str] = []
    for item in values:
        if len("|".join([*kept, item])) > limit:
            break
        kept.append(item)
    return "|".join(kept) or None
