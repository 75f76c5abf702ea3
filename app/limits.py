"""Rate limits: every limit of the service declared once, in ``declared``, and counted by the ``limits`` package.

Each limit is a moving window (``limits.strategies.MovingWindowRateLimiter``): at most N counted tries in any
period of S seconds, per subject (an operator, a structure, ...). The counts live in this process's memory, or
in Redis when ``AIGUILLAGE_REDIS_URL`` is set, so that every process behind a load balancer shares them.

A use case counts a try *before* running it and gives it back when the try does not count (a retrieval that
succeeds), so that concurrent tries cannot slip past a limit: see ``resolvers/attempts.py``.

How to add a limit (one declaration):
1. name it in ``resolvers/attempts.py`` (the key prefix the use case counts under, e.g.
   ``STATUS_PER_ADDRESS = "status-address"``);
2. declare it in ``declared`` below: how many tries per how many seconds, read from settings when an admin may
   tune them (then add them to ``app/settings.py`` and to the README's *Configuration* table);
3. in the use case: ``tries = count_try(limiter, [f"{STATUS_PER_ADDRESS}:{address}"])``, then
   ``tries.give_back()`` when the try turns out not to count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from app.settings import Settings
from resolvers.attempts import CLAIM_PER_OPERATOR

REDIS_PREFIX = "aiguillage:limit"


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
        # Failed retrievals (« + Bénéficiaire », NAME + carnet) of one operator.
        CLAIM_PER_OPERATOR: Limit(settings.claim_max_failures, settings.claim_window_seconds),
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
        """Count one try; None when allowed, else the seconds until the oldest counted try leaves the window."""
        item = self._item(key)
        if self.window.hit(item, key):
            return None
        reset = self.window.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def release(self, key: str) -> None:
        """The try did not count: remove one entry from its window."""
        self._give_back(self._item(key).key_for(key))

    def _give_back(self, stored_key: str) -> None:
        raise NotImplementedError

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
        storage = RedisStorage(url, key_prefix=REDIS_PREFIX)
        super().__init__(storage, Limit(max_attempts, window_seconds), limits)

    def _give_back(self, stored_key: str) -> None:
        storage = self.storage
        assert isinstance(storage, RedisStorage)
        connection: Any = storage.get_connection()  # a redis.Redis, typed by `limits` as a narrower protocol
        connection.lpop(storage.prefixed_key(stored_key))


def build_limiter(settings: Settings) -> Limiter:
    limits = declared(settings)
    default = limits[CLAIM_PER_OPERATOR]
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, default.amount, default.seconds, limits)
    return MemoryLimiter(default.amount, default.seconds, limits)
