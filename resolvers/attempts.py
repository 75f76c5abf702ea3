"""Counted tries: the use cases' side of the rate limits (how many, and where counts live: app/limits.py).

A try is counted *before* it runs, against every limit that applies, and given back when it turns out not to
count (a retrieval that succeeds): concurrent tries cannot slip past a limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from models.errors import RateLimited

# The names of the limits: a use case counts under "name:subject"; app/limits.py declares each one's numbers.
CLAIM_PER_OPERATOR = "claim"
CLAIM_PER_STRUCTURE = "claim-structure"
STATUS_PER_ADDRESS = "status"

TOO_MANY_FAILURES = "Trop d'essais infructueux : réessayez dans {minutes} min environ."


def failed_try_keys(operator_id: int, structure_id: int | None) -> list[str]:
    """Where a failed try at a carnet counts: its operator, and its structure when it has one."""
    keys = [f"{CLAIM_PER_OPERATOR}:{operator_id}"]
    if structure_id is not None:
        keys.append(f"{CLAIM_PER_STRUCTURE}:{structure_id}")
    return keys


class Limiter(Protocol):
    def acquire(self, key: str) -> int | None:
        """Count one try; None when allowed, else seconds until the next try is allowed."""

    def release(self, key: str) -> None:
        """The try does not count against the limit."""


class Tries:
    """One try, counted under several keys."""

    def __init__(self, limiter: Limiter, keys: Sequence[str]) -> None:
        self.limiter, self.keys = limiter, list(keys)

    def give_back(self) -> None:
        for key in self.keys:
            self.limiter.release(key)
        self.keys.clear()


def count_try(limiter: Limiter, keys: Sequence[str], message: str = TOO_MANY_FAILURES) -> Tries:
    """Count one try under every key; on the first refusal, give back what was counted and raise RateLimited."""
    taken: list[str] = []
    for key in keys:
        wait = limiter.acquire(key)
        if wait is not None:
            Tries(limiter, taken).give_back()
            raise RateLimited(wait, message.format(minutes=max(1, round(wait / 60))))
        taken.append(key)
    return Tries(limiter, taken)
