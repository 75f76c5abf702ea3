"""The two web pages (public map at ``/`` and ``/carte``, operator console at ``/console``) and their files.

The pages are static HTML, CSS and JavaScript modules from ``web/``; they call the public GraphQL API and the
GeoJSON endpoint like any other front end. Third-party packages are served from ``node_modules`` (installed by
``npm ci`` from the committed lockfile), never from a CDN. ``/web/config.json`` hands the pages the settings
and the vocabularies they show, so that labels have one home (``models/enums.py``).

Every response here carries, besides the edge's headers (``app/http.py``), a strict Content-Security-Policy:
scripts, styles and fonts from this origin only (no inline script or style), images from this origin and the
tile server, and ``frame-ancestors 'none'`` except for the map, which ``AIGUILLAGE_MAP_FRAME_ANCESTORS`` may
open to embedding sites.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles

from app.context import Services
from app.settings import Settings
from models.enums import (
    ARCHIVE_REASON_LABELS,
    DECLINE_REASON_LABELS,
    EVENT_LABELS,
    STATUS_TAB_LABELS,
)
from models.standard import PUBLIC_LABELS, SERVICE_LABELS, SPECIFIC_SUPPORT_LABELS

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
NODE_MODULES = ROOT / "node_modules"
# Only the built files of each package are reachable, not their sources or package metadata.
VENDOR = {
    "dsfr": NODE_MODULES / "@gouvfr" / "dsfr" / "dist",
    "leaflet": NODE_MODULES / "leaflet" / "dist",
    "markercluster": NODE_MODULES / "leaflet.markercluster" / "dist",
    "axe-core": NODE_MODULES / "axe-core",
}
# Compressible answers smaller than this gain nothing from gzip.
GZIP_MINIMUM = 800


def content_security_policy(settings: Settings, frame_ancestors: str) -> str:
    tiles = urlsplit(settings.map_tiles_url)
    tile_origin = f"{tiles.scheme}://{tiles.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # DSFR draws some of its controls with data: SVG in its stylesheet.
            f"img-src 'self' data: {tile_origin}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class WithHeaders:
    """Adds fixed headers to every response of the wrapped ASGI app (a page or a static mount)."""

    def __init__(self, app: Any, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        self.names = {k for k, _ in self.headers}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def add(message: Any) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        await self.app(scope, receive, add)


def page_headers(settings: Settings, frame_ancestors: str) -> dict[str, str]:
    """What the pages and their files add to the edge's headers (app/http.py: nosniff, no-store by default)."""
    headers = {
        "Content-Security-Policy": content_security_policy(settings, frame_ancestors),
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        # Public files without personal data: caches keep them but revalidate (ETag, 304) since their URLs
        # carry no version.
        "Cache-Control": "no-cache",
    }
    if frame_ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    return headers


def config(settings: Settings) -> dict[str, Any]:
    return {
        "tiles": {"url": settings.map_tiles_url, "attribution": settings.map_tiles_attribution},
        "carnetExample": settings.carnet_example,
        "pageSizeMax": settings.page_size_max,
        "services": {kind.name: label for kind, label in SERVICE_LABELS.items()},
        "publics": {public.name: label for public, label in PUBLIC_LABELS.items()},
        "specificSupport": {support.name: label for support, label in SPECIFIC_SUPPORT_LABELS.items()},
        "tabs": {status.name: label for status, label in STATUS_TAB_LABELS.items()},
        "archiveReasons": {reason.name: label for reason, label in ARCHIVE_REASON_LABELS.items()},
        "declineReasons": {reason.name: label for reason, label in DECLINE_REASON_LABELS.items()},
        "events": {kind.name: label for kind, label in EVENT_LABELS.items()},
    }


def web_routes(services: Services) -> list[BaseRoute]:
    settings = services.settings
    strict = page_headers(settings, "'none'")
    embeddable = page_headers(settings, settings.map_frame_ancestors)
    body = config(settings)

    def page(name: str, headers: dict[str, str]) -> Any:
        async def serve(_request: Request) -> Response:
            return FileResponse(WEB / name, media_type="text/html; charset=utf-8")

        return WithHeaders(GZipMiddleware(request_response(serve), GZIP_MINIMUM), headers)

    async def config_json(_request: Request) -> Response:
        return JSONResponse(body)

    def files(directory: Path) -> Any:
        # check_dir=False: the API still starts before `npm ci` has run; the pages then miss their styles.
        return WithHeaders(
            GZipMiddleware(StaticFiles(directory=directory, check_dir=False), minimum_size=GZIP_MINIMUM),
            strict,
        )

    return [
        Route("/", page("map.html", embeddable), methods=["GET"]),
        Route("/carte", page("map.html", embeddable), methods=["GET"]),
        Route("/console", page("console.html", strict), methods=["GET"]),
        Route("/web/config.json", WithHeaders(request_response(config_json), strict), methods=["GET"]),
        Mount("/static", app=files(WEB)),
        *[Mount(f"/vendor/{name}", app=files(path)) for name, path in VENDOR.items()],
    ]
