"""Rate limits: every limit of the service declared once, in ``declared``, and counted by the ``limits`` package.

Each limit is a moving window (``limits.strategies.MovingWindowRateLimiter``): at most N counted tries in any
period of S seconds, per subject (an operator, a structure, ...). The counts live in this process's memory, or
in Redis when ``AIGUILLAGE_REDIS_URL`` is set, so that every process behind a load balancer shares them.

A use case counts a try *before* running it and gives it back when the try does not count (a retrieval that
succeeds), so that concurrent tries cannot slip past a limit: see ``resolvers/attempts.py``.

How to add a limit (one declaration):
1. name it in ``resolvers/attempts.py`` (the key prefix the use case counts under, e.g.
   ``EXPORT_PER_ADDRESS = "export"``);
2. declare it in ``declared`` below: how many tries per how many seconds, read from settings when an admin may
   tune them (then add them to ``app/settings.py`` and to the README's *Configuration* and *Rate limits*
   tables);
3. in the use case: ``tries = count_try(limiter, [f"{EXPORT_PER_ADDRESS}:{address}"])``, then
   ``tries.give_back()`` when the try turns out not to count (or never, when every try counts).
A name that is not declared gets the first limit's numbers: declare every name.
"""

from __future__ import annotations

import contextlib
import fcntl
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.settings import Settings
from models.errors import Unavailable
from resolvers.attempts import CLAIM_PER_OPERATOR, CLAIM_PER_STRUCTURE, STATUS_PER_ADDRESS

REDIS_PREFIX = "aiguillage:limit"
# A Redis that does not answer must not hold a request: past this, the try is refused as « indisponible ».
REDIS_TIMEOUT_SECONDS = 2.0
UNAVAILABLE = (
    "Service momentanément indisponible : le compteur d'essais ne répond pas, rien n'a été fait. "
    "Réessayez dans quelques instants."
)


@dataclass(frozen=True)
class Limit:
    """At most ``amount`` counted tries in any ``seconds``, per subject."""

    amount: int
    seconds: int

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds)


def declared(settings: Settings) -> dict[str, Limit]:
    """Every limit of the service, one line each: the name a use case counts under → how many per how long."""
    return {
        # Failed retrievals (« + Bénéficiaire », NAME + carnet) and known-carnet answers of orientBeneficiary,
        # per operator, and per structure so that several tokens of one structure do not multiply the tries.
        CLAIM_PER_OPERATOR: Limit(settings.claim_max_failures, settings.claim_window_seconds),
        CLAIM_PER_STRUCTURE: Limit(settings.claim_structure_max_failures, settings.claim_window_seconds),
        # Failed beneficiaryStatus lookups (public: NAME + carnet) per client address, as many as an operator's.
        STATUS_PER_ADDRESS: Limit(settings.claim_max_failures, settings.claim_window_seconds),
    }


class Limiter:
    """The declared limits over one ``limits`` storage.

    ``acquire("name:subject")`` counts a try against the limit declared under ``name`` (the default limit
    when none is), ``release`` gives the last counted try back.
    """

    def __init__(self, storage: Storage, default: Limit, limits: Mapping[str, Limit] | None = None) -> None:
        self.storage = storage
        self.window = MovingWindowRateLimiter(storage)
        self.default = default.item()
        self.items = {name: limit.item() for name, limit in (limits or {}).items()}

    def _item(self, key: str) -> RateLimitItem:
        return self.items.get(key.partition(":")[0], self.default)

    def acquire(self, key: str) -> int | None:
        """Count one try; None when allowed, else the seconds until the oldest counted try leaves the window.

        Raises Unavailable when the storage does not answer: without a count, no try is allowed.
        """
        item = self._item(key)
        try:
            if self.window.hit(item, key):
                return None
            reset = self.window.get_window_stats(item, key).reset_time
        except StorageError as exc:
            raise Unavailable(UNAVAILABLE) from exc
        return max(1, math.ceil(reset - time.time()))

    def release(self, key: str) -> None:
        """The try did not count: remove one entry from its window."""
        try:
            self._give_back(self._item(key).key_for(key))
        except StorageError as exc:
            raise Unavailable(UNAVAILABLE) from exc

    def _give_back(self, stored_key: str) -> None:
        raise NotImplementedError

    @property
    def shared(self) -> bool:
        """Whether the counts are shared by every process (Redis) or this process's own (memory)."""
        return False

    def check(self) -> bool:
        """Whether the storage answers."""
        return bool(self.storage.check())


# ``limits`` has no "un-hit": its moving window is a list of timestamps per key, newest first (in memory and
# in Redis alike), so giving a try back removes the newest one. The count is exact; the window may free one
# entry a little earlier than if the very try had been removed, which only errs by seconds of a 15-minute window.


class MemoryLimiter(Limiter):
    """Counts in this process only (one ``aiguillage serve`` process)."""

    def __init__(
        self, max_attempts: int, window_seconds: int, limits: Mapping[str, Limit] | None = None
    ) -> None:
        super().__init__(MemoryStorage(), Limit(max_attempts, window_seconds), limits)

    def _give_back(self, stored_key: str) -> None:
        storage = self.storage
        assert isinstance(storage, MemoryStorage)
        with storage.locks[stored_key]:
            entries = storage.events.get(stored_key)
            if entries:
                del entries[0]


class RedisLimiter(Limiter):
    """Counts shared by every process that uses the same Redis."""

    def __init__(
        self,
        url: str,
        max_attempts: int,
        window_seconds: int,
        limits: Mapping[str, Limit] | None = None,
    ) -> None:
        storage = RedisStorage(
            url,
            key_prefix=REDIS_PREFIX,
            wrap_exceptions=True,  # limits.errors.StorageError, whatever the Redis failure
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        super().__init__(storage, Limit(max_attempts, window_seconds), limits)

    @property
    def shared(self) -> bool:
        return True

    def _give_back(self, stored_key: str) -> None:
        storage = self.storage
        assert isinstance(storage, RedisStorage)
        connection: Any = storage.get_connection()  # a redis.Redis, typed by `limits` as a narrower protocol
        try:
            connection.lpop(storage.prefixed_key(stored_key))
        except redis.RedisError as exc:
            raise StorageError(exc) from exc


def build_limiter(settings: Settings) -> Limiter:
    limits = declared(settings)
    default = limits[CLAIM_PER_OPERATOR]
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, default.amount, default.seconds, limits)
    return MemoryLimiter(default.amount, default.seconds, limits)


class AnotherServer(Exception):
    """A second ``aiguillage serve`` would count the limits apart from the first: refused."""


# pg_advisory_lock key (any bigint unique to this purpose): "aiguillage serve" processes of one database.
_SERVE_LOCK_KEY = 0x41_49_47_55_49_4C_4C_41


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """Held by ``aiguillage serve`` while it serves; yields what the limits cover, to say at start.

    Limits counted in memory cover one process: a second process on the same database would count its own
    tries. So a process without Redis holds an exclusive lock on the database for serving, and processes with
    Redis a shared one: any number of Redis-sharing processes, or exactly one counting in memory. The lock
    goes with the process (a killed one leaves none): a file lock beside the SQLite file, a session-level
    advisory lock on PostgreSQL.
    """
    shared = bool(settings.redis_url)
    refusal = AnotherServer(
        "another `aiguillage serve` already serves this database"
        + (
            " with its rate limits in memory: stop it, or set AIGUILLAGE_REDIS_URL on every process"
            if shared
            else ": without AIGUILLAGE_REDIS_URL each process would count its own tries (set it on every process)"
        )
    )
    covers = (
        "rate limits shared through Redis by every process that uses it"
        if shared
        else "rate limits counted in this process's memory (the only `aiguillage serve` allowed on this database)"
    )
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                take = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
                if not connection.scalar(text(f"SELECT {take}(:key)"), {"key": _SERVE_LOCK_KEY}):
                    raise refusal
                yield covers
        finally:
            engine.dispose()
        return
    with open(f"{url.database}.serve-lock", "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise refusal from None
        yield covers
