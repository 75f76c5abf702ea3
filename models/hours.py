"""Opening hours: each place's time zone, and what its OpenStreetMap ``opening_hours`` say.

The expressions are read by ``opening-hours-py`` (the Rust ``opening-hours`` crate): no parser of our own.

- **Time zone**: the place's département's (``TIME_ZONES``); mainland France, Corsica and a place whose
  département is unknown are read in Europe/Paris.
- **Public holidays, kept conservative**: the library's calendar of France's eleven national holidays,
  applied in every zone (local holidays, such as Alsace-Moselle's Good Friday or La Réunion's 20 December,
  are not known to it). Hours that say nothing about holidays (no ``PH`` rule) are read as closed on them:
  ``; PH off`` is added before reading. A map that sends someone to a closed door does more harm than one
  that leaves out a place open on 15 August.
- **Weekly intervals** (for the SQL ``openAt`` filter): the minutes of the week, in local wall-clock time,
  that are open in every one of ``REFERENCE_WEEKS`` weeks spread over the coming year (holidays left out);
  hours that change with the season or alternate weeks keep only what is open every week. On holidays, the
  minutes of the day open on every holiday of that year. ``openingStatus`` reads the expression itself at
  the instant asked, so it is exact where the weekly intervals are only conservative.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import OpeningHours, State

DEFAULT_TIME_ZONE = "Europe/Paris"
# The départements (INSEE codes) whose time zone is not Europe/Paris.
TIME_ZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}
ZONES: tuple[str, ...] = (DEFAULT_TIME_ZONE, *sorted(set(TIME_ZONES.values())))
HOLIDAY_COUNTRY = "FR"
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
REFERENCE_WEEKS = 13  # one every four weeks: a year
NEXT_CHANGE_HORIZON = timedelta(days=8)

Interval = tuple[int, int]  # [start, end) in minutes
# What the library raises on an expression it cannot read (its stubs declare SyntaxError only).
_UNREADABLE: tuple[type[Exception], ...] = (
    getattr(opening_hours, "ParserError", SyntaxError),
    SyntaxError,
    ValueError,
)


def time_zone_of(department_code: str | None) -> str:
    return TIME_ZONES.get((department_code or "").strip().upper(), DEFAULT_TIME_ZONE)


@functools.lru_cache(maxsize=4096)
def read_hours(expression: str | None) -> OpeningHours | None:
    """The expression as the library reads it, holidays closed unless it says otherwise; None if unreadable."""
    if not expression or not expression.strip():
        return None
    text = expression.strip()
    try:
        OpeningHours(text)
    except _UNREADABLE:
        return None
    if "PH" not in text:
        try:
            return OpeningHours(f"{text}; PH off", country=HOLIDAY_COUNTRY)
        except _UNREADABLE:
            pass
    return OpeningHours(text, country=HOLIDAY_COUNTRY)


def readable(expression: str | None) -> bool:
    return read_hours(expression) is not None


_HOLIDAYS = OpeningHours("PH", country=HOLIDAY_COUNTRY)


@functools.lru_cache(maxsize=1024)
def is_public_holiday(day: date) -> bool:
    return bool(_HOLIDAYS.is_open(datetime(day.year, day.month, day.day, 12)))


@dataclass(frozen=True)
class Weekly:
    week: tuple[Interval, ...]  # minutes of the week, Monday 00:00 = 0
    holiday: tuple[Interval, ...]  # minutes of the day, on a public holiday


def _open_minutes(hours: OpeningHours, start: datetime, end: datetime) -> list[Interval]:
    """Open intervals in [start, end) as minutes from ``start`` (naive local wall-clock times)."""
    found: list[Interval] = []
    for begin, finish, state, _comment in hours.intervals(start, end):
        if state != State.OPEN:
            continue
        a = int((max(begin, start) - start).total_seconds() // 60)
        b = int((min(finish or end, end) - start).total_seconds() // 60)
        if a < b:
            found.append((a, b))
    return found


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _monday(day: date) -> datetime:
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day)


@functools.lru_cache(maxsize=8192)
def _weekly(expression: str, first_monday: datetime) -> Weekly | None:
    hours = read_hours(expression)
    if hours is None:
        return None
    days: list[list[Interval] | None] = [None] * 7  # per weekday, minutes of the day
    for n in range(REFERENCE_WEEKS):
        monday = first_monday + timedelta(weeks=4 * n)
        found = _open_minutes(hours, monday, monday + timedelta(days=7))
        for weekday in range(7):
            if is_public_holiday((monday + timedelta(days=weekday)).date()):
                continue
            start = weekday * MINUTES_PER_DAY
            clipped = _intersect(found, [(start, start + MINUTES_PER_DAY)])
            today = [(a - start, b - start) for a, b in clipped]
            seen = days[weekday]
            days[weekday] = today if seen is None else _intersect(seen, today)
    week = tuple(
        (weekday * MINUTES_PER_DAY + a, weekday * MINUTES_PER_DAY + b)
        for weekday, found in enumerate(days)
        for a, b in found or []
    )
    holiday: list[Interval] | None = None
    for day in _holidays(first_monday.date()):
        midnight = datetime(day.year, day.month, day.day)
        found = _open_minutes(hours, midnight, midnight + timedelta(days=1))
        holiday = found if holiday is None else _intersect(holiday, found)
    return Weekly(_merge(week), tuple(holiday or ()))


@functools.lru_cache(maxsize=64)
def _holidays(first: date) -> tuple[date, ...]:
    return tuple(d for d in (first + timedelta(days=n) for n in range(366)) if is_public_holiday(d))


def _merge(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def weekly_intervals(expression: str | None, today: date | None = None) -> Weekly | None:
    """The conservative weekly intervals of an expression (see the module's docstring); None if unreadable."""
    if not expression:
        return None
    return _weekly(expression.strip(), _monday(today or datetime.now(UTC).date()))


def local_minutes(at: datetime, zone: str) -> tuple[int, bool]:
    """(minute, holiday) of an instant in a zone: the minute of the day on a public holiday, else of the week."""
    local = at.astimezone(ZoneInfo(zone))
    minute_of_day = local.hour * 60 + local.minute
    if is_public_holiday(local.date()):
        return minute_of_day, True
    return local.weekday() * MINUTES_PER_DAY + minute_of_day, False


@dataclass(frozen=True)
class Status:
    is_open: bool
    next_change: datetime | None
    time_zone: str


def opening_status(expression: str | None, department_code: str | None, at: datetime) -> Status | None:
    """Open or closed at ``at`` in the place's zone, and when that next changes (within 8 days)."""
    hours = read_hours(expression)
    if hours is None:
        return None
    zone = time_zone_of(department_code)
    local = at.astimezone(ZoneInfo(zone))
    is_open = hours.state(local)[0] == State.OPEN
    next_change = None
    for begin, _end, state, _comment in hours.intervals(local, local + NEXT_CHANGE_HORIZON):
        if begin > local and (state == State.OPEN) != is_open:
            next_change = begin.astimezone(UTC)
            break
    return Status(is_open, next_change, zone)


def local_moment_fr(at: datetime, department_code: str | None) -> str:
    """« 15/12/2026 à 09:00 », in the place's own time zone (messages to operators)."""
    local = at.astimezone(ZoneInfo(time_zone_of(department_code)))
    return local.strftime("%d/%m/%Y à %H:%M")
