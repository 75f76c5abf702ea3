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
from models import DossierEvent, ServiceOffering, Structure
from resolvers import dossiers as dossier_queries
from resolvers import structures as structure_queries
from resolvers.auth import Actor
from resolvers.dossiers import Counts

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
class Loaders:
    """The request's DataLoaders, one typed field per batch function (as Arize Phoenix does).

    Built with each request's context and never shared: a loader that outlived its request would serve one
    user's cached rows to another.
    """

    structure: DataLoader[int, Structure | None]
    offerings_by_structure: DataLoader[int, list[ServiceOffering]]
    dossier_counts: DataLoader[int, Counts]
    dossier_events: DataLoader[int, list[DossierEvent]]


@dataclass
class Context:
    services: Services
    actor: Actor | None
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(
            structure=self._loader(structure_queries.structures_by_ids),
            offerings_by_structure=self._loader(structure_queries.offerings_by_structure_ids),
            dossier_counts=self._loader(
                partial(
                    dossier_queries.counts_by_structure_ids,
                    remind_after_days=self.services.settings.remind_after_days,
                )
            ),
            dossier_events=self._loader(dossier_queries.events_by_dossier_ids),
        )

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

    def _loader(self, batch: Callable[[Session, Sequence[K]], Sequence[V]]) -> DataLoader[K, V]:
        async def load(keys: Sequence[K]) -> Sequence[V]:
            return await self.read(partial(batch), keys)

        return DataLoader(load_fn=load)
