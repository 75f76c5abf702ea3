"""The HTTP edge, for every route: security and caching headers, CORS, conditional GETs, request bodies.

One home for what every answer carries, so that a new route gets it without asking:

- ``ResponseHeaders`` (middleware) adds ``SECURITY_HEADERS`` to every answer that does not set them itself
  (a page may set its own ``Content-Security-Policy``, or add one here for all), and the caching rule:
  anything answering a request that carries credentials is ``Cache-Control: no-store``, and so is every
  answer that did not choose its own caching;
- ``conditional_get`` is how a public GET becomes cacheable: a strong ``ETag``, ``Cache-Control: public,
  max-age=…`` and ``304 Not Modified`` when the client's ``If-None-Match`` matches;
- ``cors_middleware`` is Starlette's CORS for the origins of ``AIGUILLAGE_CORS_ORIGINS``;
- ``BoundedBody`` (middleware) reads a request body whole before any route sees it: past
  ``AIGUILLAGE_MAX_BODY_BYTES`` it answers 413, and a body that does not arrive within
  ``AIGUILLAGE_BODY_TIMEOUT_SECONDS`` is cut with a 408 (a client trickling bytes must not hold a worker).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

SECURITY_HEADERS: dict[str, str] = {
    # Browsers must not guess a type: a CSV or JSON answer is never run as a script or a page.
    "X-Content-Type-Options": "nosniff",
}
NO_STORE = "no-store"
CREDENTIAL_HEADERS = (b"authorization", b"cookie")


def error_body(message: str) -> dict[str, Any]:
    """The shape of an HTTP-level error, the same as GraphQL's so that clients read one form."""
    return {"errors": [{"message": message}]}


def has_credentials(scope: Scope) -> bool:
    return any(name in CREDENTIAL_HEADERS for name, _ in scope.get("headers", ()))


class ResponseHeaders:
    """Security headers on every answer; ``no-store`` on authenticated answers and on those not marked cacheable."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS if headers is None else headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = has_credentials(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if private:
                    # Whatever the route said: an answer to a token is nobody else's to keep.
                    headers["Cache-Control"] = NO_STORE
                    if "etag" in headers:
                        del headers["ETag"]
                elif "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors_middleware(settings: Settings) -> Middleware:
    """Cross-origin calls from the origins allowed by the settings (none by default).

    Tokens travel in the ``Authorization`` header, never in cookies: credentials mode stays off, so that a
    page on an allowed origin gets no ambient authority from the browser.
    """
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        expose_headers=["ETag"],
        allow_credentials=False,
        max_age=settings.cors_max_age_seconds,
    )


# ---------- conditional GET ----------


def etag_of(*parts: bytes | str) -> str:
    """A strong validator for a representation built from ``parts`` (its bytes, or what it is made from)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return f'"{digest.hexdigest()[:32]}"'


def if_none_match(request: Request, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison against each listed tag, or ``*``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}


async def conditional_get(
    request: Request,
    etag: str,
    make: Callable[[], Response | Awaitable[Response]],
    max_age: int,
) -> Response:
    """The answer to a public GET whose representation has validator ``etag``: 304 when the client holds
    it (``make`` is then not called), else ``make()`` with the validator and ``max_age``."""
    headers = cache_headers(etag, max_age)
    if if_none_match(request, etag):
        return Response(status_code=304, headers=headers)
    response = make()
    if not isinstance(response, Response):
        response = await response
    response.headers.update(headers)
    return response


def cacheable_body(request: Request, response: Response, max_age: int) -> Response:
    """A built public answer made cacheable, its ETag computed from its bytes (304 when the client has it)."""
    etag = etag_of(bytes(response.body))
    headers = cache_headers(etag, max_age)
    if if_none_match(request, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


# ---------- request bodies ----------


class BoundedBody:
    """Reads the body of every request whole, bounded in size and in time, before the app sees it."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, 413)
            return
        chunks: list[bytes] = []
        size = 0
        disconnected = False
        with anyio.move_on_after(self.timeout_seconds) as timer:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    disconnected = True
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    await self._refuse(scope, receive, send, 413)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
        if disconnected:
            return
        if timer.cancelled_caught:
            await self._refuse(scope, receive, send, 408)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        if status == 413:
            message = (
                f"Corps de requête trop grand : au plus {self.max_bytes} octets "
                "(réglage AIGUILLAGE_MAX_BODY_BYTES)."
            )
        else:
            message = (
                f"Corps de requête incomplet après {self.timeout_seconds:g} s : la requête est abandonnée "
                "(réglage AIGUILLAGE_BODY_TIMEOUT_SECONDS)."
            )
        # The rest of the body is not read: the server closes the connection after this answer.
        response = JSONResponse(error_body(message), status_code=status, headers={"Connection": "close"})
        await response(scope, receive, send)


def edge_middleware(settings: Settings) -> list[Middleware]:
    """The HTTP edge in order, outermost first (the access log wraps them all, see app.asgi)."""
    return [
        Middleware(ResponseHeaders),
        cors_middleware(settings),
        Middleware(
            BoundedBody, max_bytes=settings.max_body_bytes, timeout_seconds=settings.body_timeout_seconds
        ),
    ]
