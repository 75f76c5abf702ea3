"""Engine and session factories for both backends.

SQLite/SpatiaLite: WAL, a busy timeout, and write transactions opened with ``BEGIN IMMEDIATE`` so that two
writers queue on the lock instead of failing with "database is locked" half-way through a transaction.

PostgreSQL: a pooled connection is checked before each use (``check_pooled``) without a round trip when it can
be: a server that closed it (a restart, ``pg_terminate_backend``, an idle timeout) leaves its socket readable
(the FATAL notice, then the end of the stream). A quiet socket on a connection used in the last
``PING_AFTER_IDLE_SECONDS`` is taken as is; anything else gets the ping of SQLAlchemy's ``pool_pre_ping``, and
a connection that fails it is replaced. The ping was one more round trip on every request (BENCHMARKS.md,
issue 11, target 2).
"""

from __future__ import annotations

import contextlib
import select
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.settings import Settings

_WRITE = "aiguillage_write"
# A connection back in the pool for longer than this is pinged before use, whatever its socket says (a
# firewall may drop an idle connection without telling either end).
PING_AFTER_IDLE_SECONDS = 10.0
_RETURNED = "aiguillage_returned_at"


def _readable(fd: int) -> bool:
    """Whether the socket has something to read (or is closed), without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


def check_pooled(engine: Engine) -> None:
    """Before a pooled PostgreSQL connection is used: ping it only when its socket is not quiet or it has been
    idle for a while, and replace it when the ping fails (the pool retries with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None:
            return  # a connection just opened
        try:
            # fileno() itself fails on a connection closed on this side: replaced like one that fails the ping.
            if time.monotonic() - returned < PING_AFTER_IDLE_SECONDS and not _readable(dbapi_conn.fileno()):
                return
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection unusable: {error}") from error


# Connections opened past the pool's size (AIGUILLAGE_DATABASE_POOL_SIZE) when more threads than that need one
# (the worker's own, a CLI); closed when given back. The pool itself is sized to the requests a process runs at
# once: a connection opened per request would cost its opening and lose its prepared statements.
POOL_OVERFLOW = 10


def _sqlite_module() -> Any:
    """The DB-API module to use: pysqlite3 where the standard one cannot load extensions."""
    try:
        import pysqlite3.dbapi2 as module
    except ImportError:
        import sqlite3 as module
    return module


def create_db_engine(settings: Settings) -> Engine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        engine = create_engine(
            url, pool_size=settings.database_pool_size, max_overflow=POOL_OVERFLOW, hide_parameters=True
        )
        check_pooled(engine)
        return engine

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        module=_sqlite_module(),
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=settings.database_pool_size,
        max_overflow=POOL_OVERFLOW,
        # Parameters may hold beneficiaries' names: keep them out of error messages and logs.
        hide_parameters=True,
    )
    library = settings.spatialite_library

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.enable_load_extension(True)
        dbapi_conn.load_extension(library)
        dbapi_conn.enable_load_extension(False)
        # We issue BEGIN ourselves (below); the driver's implicit transactions would get in the way.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


@dataclass
class Database:
    """One engine, a read session factory and a write session factory."""

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls.from_engine(create_db_engine(settings))

    @classmethod
    def from_engine(cls, engine: Engine) -> Database:
        return cls(
            engine=engine,
            reader=sessionmaker(engine, expire_on_commit=False, autoflush=False),
            writer=sessionmaker(
                engine.execution_options(**{_WRITE: True}), expire_on_commit=False, autoflush=False
            ),
        )

    @property
    def backend(self) -> str:
        return "postgis" if self.engine.dialect.name == "postgresql" else "spatialite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.reader() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any exception."""
        with self.writer() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
