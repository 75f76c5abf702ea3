"""Date arithmetic in SQL, one construct per operation, compiled for each backend.

SQLite stores ``UTCDateTime`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC; PostgreSQL as ``timestamptz``.
Both constructs give the same numbers and the same stored form on both, so that a value computed by SQL
(statistics, the retention purge) compares equal to one bound from Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from models.base import UTCDateTime


class days_between(FunctionElement[float]):
    """(end - start) in days, as a float (fractions of a day kept)."""

    type = Float()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0 AS DOUBLE PRECISION)"


@compiles(days_between, "sqlite")
def _days_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


class month_start(FunctionElement[Any]):
    """The first instant (UTC) of the month of a ``UTCDateTime``."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(month_start, "postgresql")
def _month_pg(element: month_start, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"date_trunc('month', {value}, 'UTC')"


@compiles(month_start, "sqlite")
def _month_sqlite(element: month_start, compiler: Any, **kw: Any) -> str:
    (value,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"strftime('%Y-%m-01 00:00:00.000000', {value})"
