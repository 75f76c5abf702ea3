"""The Starlette application: /graphql, /healthz, and the app factory."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from app import migrate
from app.context import Context, Services
from app.database import Database
from app.http import cacheable_body, edge_middleware, error_body, has_credentials
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = JSONResponse(error_body(exc.reason), status_code=exc.status_code)
        else:
            # A public query by GET: the same URL gives the same answer, so caches and clients may keep it.
            if (
                request.method == "GET"
                and getattr(request.state, "cacheable", False)
                and not has_credentials(scope)
            ):
                response = cacheable_body(request, response, self.services.settings.public_max_age_seconds)
        await response(scope, receive, send)

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        if isinstance(request, Request) and not result.errors:
            request.state.cacheable = True
        return await super().process_result(request, result)

    async def parse_http_body(self, request: Any) -> Any:
        if request.method == "POST":
            _, params = parse_content_type(request.content_type or "")
            charset = params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise HTTPException(
                    400,
                    f"Content-Type : le corps doit être du JSON en UTF-8 (charset=utf-8), reçu charset={charset}",
                )
        return await super().parse_http_body(request)

    def parse_json(self, data: str | bytes) -> Any:
        """Strict JSON: UTF-8, and an object (``{"query": …, "variables": {…}}``), or a clear 400."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(
                400, "Corps de requête illisible : attendu du JSON encodé en UTF-8."
            ) from None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise HTTPException(
                400, 'JSON invalide : attendu un objet {"query": "…", "variables": {…}}.'
            ) from None
        if not isinstance(value, dict):
            raise HTTPException(
                400,
                f'JSON invalide : attendu un objet {{"query": "…", "variables": {{…}}}}, reçu {_json_kind(value)}.',
            )
        return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "un booléen"
    if isinstance(value, int | float):
        return "un nombre"
    if isinstance(value, str):
        return "une chaîne"
    return "un tableau"


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
        if scope["method"] == "OPTIONS":
            # A preflight from an allowed origin is answered by the CORS middleware before reaching here.
            await Response(status_code=204, headers={"Allow": "GET, POST, OPTIONS"})(scope, receive, send)
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
        redis = "not configured"
        if services.limiter.shared:
            redis = "up" if await anyio.to_thread.run_sync(services.limiter.check) else "down"
        # Redis down: retrievals and orientations answer « indisponible », the map and exports still work, and
        # every process shares that Redis: 200 "degraded" keeps them serving rather than all leaving rotation.
        status = "unavailable" if not ok else "degraded" if redis == "down" else "ok"
        body = {"status": status, "database": "up" if ok else "down", "backend": db.backend, "redis": redis}
        return JSONResponse(body, status_code=200 if ok else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        db.dispose()

    from app.http_geo import geo_routes
    from app.web import web_routes

    app = Starlette(
        routes=[
            Route("/graphql", PrivateDataOverPostOnly(graphql_app), methods=["GET", "POST", "OPTIONS"]),
            Route("/healthz", healthz, methods=["GET"]),
            *geo_routes(services),
            *web_routes(services),
        ],
        middleware=edge_middleware(settings),
        lifespan=lifespan,
    )
    app.state.services = services
    app.add_middleware(AccessLog)
    return app


def app_from_env() -> Starlette:
    """Entry point for ``uvicorn --factory app.asgi:app_from_env`` (each worker builds its own app)."""
    logging.basicConfig(level=load_settings().log_level)
    app = create_app()
    # Everything built so far (schema, mappers, settings) lives as long as the process: out of the collector's
    # sight, a full collection no longer walks it. Without this, the garbage of one large answer (a map
    # viewport) triggered collections that cost the next requests several milliseconds each (BENCHMARKS.md).
    gc.freeze()
    return app
