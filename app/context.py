"""The per-request context: settings, database, the acting operator and fresh DataLoaders.

Database work is synchronous SQLAlchemy; ``read``/``write`` run it in a worker thread with a session of its
own, so that concurrent resolvers never share a session and the event loop never blocks on the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader

from app.database import Database
from app.limits import Limiter
from app.settings import Settings
from resolvers.auth import Actor

P = ParamSpec("P")
R = TypeVar("R")
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class Services:
    """What lives as long as the app: built once by the app factory."""

    settings: Settings
    db: Database
    limiter: Limiter


@dataclass
class Context:
    services: Services
    actor: Actor | None
    request: Any = None
    response: Any = None
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    async def read(self, fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        def run() -> R:
            with self.db.read() as session:
                return fn(session, *args, **kwargs)

        return await anyio.to_thread.run_sync(run)

    async def write(self, fn: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs) -> R:
        def run() -> R:
            with self.db.write() as session:
                return fn(session, *args, **kwargs)

        return await anyio.to_thread.run_sync(run)

    def loader(self, name: str, batch: Callable[[Session, Sequence[K]], Sequence[V]]) -> DataLoader[K, V]:
        """The request's DataLoader for ``batch`` (created on first use, never shared across requests)."""
        existing = self.loaders.get(name)
        if existing is None:

            async def load(keys: Sequence[K]) -> Sequence[V]:
                return await self.read(partial(batch), keys)

            existing = self.loaders[name] = DataLoader(load_fn=load)
        return existing
