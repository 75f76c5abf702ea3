"""Limits on failed attempts (claims by name + carnet), per operator.

An attempt is counted *before* it runs (atomically), and given back when it succeeds, so concurrent tries
cannot slip past the limit. Counts live in memory by default, or in Redis when ``AIGUILLAGE_REDIS_URL`` is
set, so that several app processes share one limit.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Protocol

from app.settings import Settings


class Limiter(Protocol):
    def acquire(self, key: str) -> int | None:
        """Count one attempt; None when allowed, else seconds until the next attempt is allowed."""

    def release(self, key: str) -> None:
        """The attempt succeeded: it does not count against the limit."""


class MemoryLimiter:
    def __init__(self, max_attempts: int, window_seconds: int, clock: Any = time.monotonic) -> None:
        self.max_attempts, self.window, self.clock = max_attempts, window_seconds, clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def acquire(self, key: str) -> int | None:
        now = self.clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            if count >= self.max_attempts:
                return max(1, math.ceil(self.window - (now - start)))
            self._windows[key] = (start, count + 1)
            return None

    def release(self, key: str) -> None:
        with self._lock:
            if key in self._windows:
                start, count = self._windows[key]
                self._windows[key] = (start, max(0, count - 1))


class RedisLimiter:
    # INCR, then start the window on the first attempt; over the limit, give the attempt back at once.
    _ACQUIRE = """
    local n = redis.call('INCR', KEYS[1])
    if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
    if n > tonumber(ARGV[1]) then
        redis.call('DECR', KEYS[1])
        local ttl = redis.call('TTL', KEYS[1])
        if ttl < 1 then ttl = 1 end
        return ttl
    end
    return 0
    """

    def __init__(
        self, url: str, max_attempts: int, window_seconds: int, prefix: str = "aiguillage:limit:"
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.max_attempts, self.window, self.prefix = max_attempts, window_seconds, prefix
        self._acquire = self.client.register_script(self._ACQUIRE)

    def acquire(self, key: str) -> int | None:
        wait = int(self._acquire(keys=[self.prefix + key], args=[self.max_attempts, self.window]))
        return wait or None

    def release(self, key: str) -> None:
        name = self.prefix + key
        if int(self.client.decr(name)) < 0:
            self.client.set(name, 0, keepttl=True)


def build_limiter(settings: Settings) -> Limiter:
    if settings.redis_url:
        return RedisLimiter(settings.redis_url, settings.claim_max_failures, settings.claim_window_seconds)
    return MemoryLimiter(settings.claim_max_failures, settings.claim_window_seconds)
