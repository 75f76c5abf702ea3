"""Opening hours as the sources write them, to OSM ``opening_hours`` (read by ``models.hours``).

The national standard's ``horaires`` are OSM syntax already; some v0.1 producers wrote the times French
style ("9h-12h30", "10h00-12h30") inside otherwise OSM expressions: those times are rewritten "09:00-12:30"
when that makes the expression readable. French sentences ("du lundi au vendredi de 9h à 12h") are not
guessed at: they are kept as published and counted as unreadable (no « ouvert maintenant » for them).

France Services opening hours ("09:00 - 12:00 / 13:30 - 17:00" per weekday) to OSM ``opening_hours``.

The list gives one cell per weekday. Each cell is a list of time ranges, separated by "/", ",", spaces or
dashes, with variants seen in the file ("09:00-12:00", "9 :00-12h00"); "-", "00:00 - 00:00" or an empty cell
is closed. A range repeated or inside another one ("09:00 - 16:00 / 13:00 - 16:00") is dropped; ranges
that partly overlap are unreadable. A time before 06:00 or after 22:00 is taken for a typo ("13:00" written
"/3:00"): France Services open in the daytime. When any cell cannot be read the whole week is dropped:
partial hours would show the place closed on a day it is open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.hours import readable

DAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("h_lundi", "Mo"),
    ("h_mardi", "Tu"),
    ("h_mercredi", "We"),
    ("h_jeudi", "Th"),
    ("h_vendredi", "Fr"),
    ("h_samedi", "Sa"),
    ("h_dimanche", "Su"),
)
_RANGE = re.compile(r"(\d{1,2})\s*[:hH]\s*(\d{2})\s*-+\s*(\d{1,2})\s*[:hH]\s*(\d{2})")
_FILLER = re.compile(r"[\s/,;&+\-]*")
DAYTIME = (6 * 60, 22 * 60)


class UnreadableHours(ValueError):
    def __init__(self, column: str, value: str) -> None:
        super().__init__(f"horaires {column} « {value} » illisibles : horaires non importés")


def _minutes(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m >= 60 or h > 24 or (h == 24 and m != 0):
        return None
    return h * 60 + m


def _clock(total: int) -> str:
    return f"{total // 60:02d}:{total % 60:02d}"


def day_ranges(cell: str) -> list[tuple[int, int]] | None:
    """The ranges of one day in minutes, [] when closed, None when the cell cannot be read."""
    ranges: list[tuple[int, int]] = []
    for match in _RANGE.finditer(cell):
        start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
        if start == end == 0:
            continue
        if start is None or end is None or not DAYTIME[0] <= start < end <= DAYTIME[1]:
            return None
        ranges.append((start, end))
    if not _FILLER.fullmatch(_RANGE.sub("", cell)):
        return None
    kept: list[tuple[int, int]] = []
    for start, end in sorted(ranges, key=lambda r: (r[0], -r[1])):
        if kept and end <= kept[-1][1]:
            continue
        if kept and start < kept[-1][1]:
            return None
        kept.append((start, end))
    return kept


def _days_label(days: Sequence[str]) -> str:
    return days[0] if len(days) == 1 else f"{days[0]}-{days[-1]}"


def opening_hours(row: Mapping[str, str | None]) -> str | None:
    """OSM syntax ("Mo-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00"), consecutive equal days grouped.

    None when no day has hours. Raises UnreadableHours naming the first cell that cannot be read.
    """
    week: list[tuple[str, str]] = []
    for column, osm_day in DAY_COLUMNS:
        cell = (row.get(column) or "").strip()
        ranges = day_ranges(cell)
        if ranges is None:
            raise UnreadableHours(column, cell)
        week.append((osm_day, ",".join(f"{_clock(a)}-{_clock(b)}" for a, b in ranges)))
    rules: list[str] = []
    run: list[str] = []
    for index, (osm_day, spec) in enumerate(week):
        run.append(osm_day)
        following = week[index + 1][1] if index + 1 < len(week) else None
        if following != spec:
            if spec:
                rules.append(f"{_days_label(run)} {spec}")
            run = []
    return "; ".join(rules) or None


_FRENCH_TIME = re.compile(r"(?<![\d:])(\d{1,2})\s*h\s*(\d{2})?(?![\d:])")


@dataclass(frozen=True)
class Hours:
    value: str | None  # what to store: OSM syntax, or the published text when it cannot be read
    warning: str | None = None
    unreadable: bool = False


def osm_hours(raw: str | None) -> Hours:
    """Published ``horaires``: kept when readable, French-style times rewritten when that makes them so."""
    if raw is None or not raw.strip():
        return Hours(None)
    text = raw.strip()
    if readable(text):
        return Hours(text)
    rewritten = _FRENCH_TIME.sub(lambda m: f"{int(m[1]):02d}:{m[2] or '00'}", text)
    if rewritten != text and readable(rewritten):
        return Hours(rewritten, f"horaires « {text} » lus comme « {rewritten} »")
    shown = text if len(text) <= 120 else text[:119] + "…"
    return Hours(
        text,
        f"horaires « {shown} » illisibles (syntaxe OpenStreetMap opening_hours attendue, "
        "ex. « Mo-Fr 09:00-12:00 ») : gardés tels quels, sans « ouvert maintenant »",
        unreadable=True,
    )
