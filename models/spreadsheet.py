"""Cells a spreadsheet would run: the rule of OWASP's "CSV Injection" page, for imports and exports alike.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or a carriage return before them) is read as a
formula by spreadsheets, so an imported name such as ``=HYPERLINK(…)`` would run on a partner's machine.
The export neutralises such a cell with a leading apostrophe, which spreadsheets display as text; the import
keeps the value as published and warns. A plain number (``+33180059880``, ``-21.1``) is data, not a
formula, and stays as it is: the standard's phones and coordinates are written that way.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def starts_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value)


def neutralise_formula(value: str) -> str:
    return "'" + value if starts_like_formula(value) else value
