"""The Starlette application: /graphql, /healthz, and the app factory."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from app import migrate
from app.context import Context, Services
from app.database import Database
from app.limits import build_limiter
from app.settings import Settings, load_settings
from resolvers.auth import authenticate
from schema.root import build_schema

log = logging.getLogger("aiguillage")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, services: Services) -> None:
        settings = services.settings
        super().__init__(
            build_schema(settings),
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=True,
        )
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        token = bearer_token(request) if isinstance(request, Request) else None
        actor = None
        if token:
            db = self.services.db

            def lookup() -> Any:
                with db.read() as session:
                    return authenticate(session, token)

            actor = await anyio.to_thread.run_sync(lookup)
        return Context(services=self.services, actor=actor, request=request, response=response)


class PrivateDataOverPostOnly:
    """GET is for anonymous (public) queries: with a token, data about people must not travel in URLs."""

    def __init__(self, app: GraphQLApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["method"] == "GET" and any(name == b"authorization" for name, _ in scope["headers"]):
            response = JSONResponse(
                {
                    "errors": [
                        {
                            "message": "Requêtes authentifiées : utilisez POST (rien de personnel dans les URL)."
                        }
                    ]
                },
                status_code=405,
                headers={"Allow": "POST"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class AccessLog:
    """One line per request: method, path, status, duration. Never the query string, which a careless client
    could fill with a beneficiary's name (uvicorn's own access log, which prints it, is turned off)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log = logging.getLogger("aiguillage.access")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            self.log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, elapsed)


def create_app(settings: Settings | None = None, *, check_migrations: bool = True) -> Starlette:
    settings = settings or load_settings()
    db = Database.from_settings(settings)
    if check_migrations:
        migrate.check_migrated(db.engine)
    services = Services(settings=settings, db=db, limiter=build_limiter(settings))
    graphql_app = GraphQLApp(services)

    async def healthz(_request: Request) -> Response:
        ok = await anyio.to_thread.run_sync(db.ping)
        body = {
            "status": "ok" if ok else "unavailable",
            "database": "up" if ok else "down",
            "backend": db.backend,
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        db.dispose()

    from app.http_geo import geo_routes

    app = Starlette(
        routes=[
            Route("/graphql", PrivateDataOverPostOnly(graphql_app), methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            *geo_routes(services),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(AccessLog)
    return app


def app_from_env() -> Starlette:
    """Entry point for ``uvicorn --factory app.asgi:app_from_env`` (each worker builds its own app)."""
    logging.basicConfig(level=load_settings().log_level)
    return create_app()
