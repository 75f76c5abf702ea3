"""Plain HTTP routes of the public mapping: GeoJSON of a map viewport, and the CSV export for partners.

Parameters are checked before any database work, and every failure is a 400 with a JSON body
``{"error": {"code", "field", "message"}}`` in French. Database work runs in worker threads, each with a
read session of its own; the CSV export opens one per batch, so that it holds neither a transaction nor
more than one batch in memory however many rows it streams.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.context import Services
from app.database import Database
from app.http import cache_headers, conditional_get, if_none_match
from geo.bbox import BBox
from geo.clusters import MAX_ZOOM
from models import Public, ServiceKind, SpecificSupport
from models.errors import DomainError, InvalidInput, RateLimited, TooManyFeatures
from resolvers import data_inclusion, export, geojson
from resolvers.pagination import utc_instant
from resolvers.structures import StructureQuery

E = TypeVar("E", bound=enum.Enum)
log = logging.getLogger("aiguillage.exports")

GEOJSON_MEDIA_TYPE = "application/geo+json"
JSON_MEDIA_TYPE = "application/json"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
CSV_FILENAME = "lieux-mediation-numerique.csv"
EXPORT_BATCH = 500
# The CSV's batches are written by the database (resolvers/export.py): larger ones cost fewer round trips.
CSV_BATCH = 2000
TRUE, FALSE = frozenset({"true", "1", "oui", "yes"}), frozenset({"false", "0", "non", "no", ""})


# The HTTP status of each domain error code: the one mapping of the HTTP endpoints (GraphQL answers typed
# errors, schema/errors.py; the CLI prints the message and exits 1, app/cli.py).
HTTP_STATUS = {
    "INVALID_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "NOT_ALLOWED": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "INVALID_TRANSITION": 409,
    "RATE_LIMITED": 429,
}


def error_response(error: DomainError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, InvalidInput):
        body["field"] = error.field
    if isinstance(error, TooManyFeatures):
        body["matched"], body["limit"] = error.matched, error.limit
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return JSONResponse({"error": body}, status_code=HTTP_STATUS.get(error.code, 400), headers=headers)


def parse_names(raw: str | None, of: type[E], field: str, what: str) -> list[E]:
    """Enum names separated by commas (case ignored); an unknown one is a 400 listing the expected ones."""
    values = []
    for name in (raw or "").split(","):
        name = name.strip().upper()
        if not name:
            continue
        try:
            values.append(of[name])
        except KeyError:
            known = ", ".join(k.name for k in of)
            raise InvalidInput(
                field, f"{field} : {what} inconnu « {name} » ; attendu, séparés par des virgules : {known}"
            ) from None
    return values


def parse_kinds(raw: str | None, field: str = "kinds") -> list[ServiceKind]:
    return parse_names(raw, ServiceKind, field, "type de service")


def parse_flag(raw: str | None, field: str) -> bool:
    value = (raw or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise InvalidInput(field, f"{field} : attendu true ou false, reçu « {raw} »")


def parse_zoom(raw: str | None, field: str = "zoom") -> int | None:
    """The map's zoom level (0 to MAX_ZOOM), or None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        zoom = int(raw.strip())
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise InvalidInput(
            field, f"{field} : attendu un niveau de zoom entier de 0 à {MAX_ZOOM}, reçu « {raw} »"
        )
    return zoom


def _query_text(raw: str) -> str:
    """A date or date-time as typed in a query string: an unescaped "+" of "+02:00" arrives as a space."""
    value = raw.strip().replace(" ", "+")
    if len(value) > 10 and value[10] == "+":
        value = value[:10] + "T" + value[11:]
    return value


def _aware_instant(value: str) -> datetime | None:
    """An ISO 8601 date-time with its offset, in UTC; None when it is not one (no offset, not a date-time)."""
    try:
        return utc_instant(datetime.fromisoformat(value))
    except ValueError:
        return None


def parse_since(raw: str | None, field: str = "updated_since") -> datetime | None:
    """An ISO 8601 date-time with its offset, or a date (midnight UTC); None when absent."""
    if raw is None or not raw.strip():
        return None
    value = _query_text(raw)
    if len(value) == 10:
        try:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        except ValueError:
            parsed = None
    else:
        parsed = _aware_instant(value)
    if parsed is None:
        raise InvalidInput(
            field,
            f"{field} : attendu une date ISO 8601 (2024-05-31) ou une date et heure avec fuseau "
            f"(2024-05-31T08:00:00Z), reçu « {raw} »",
        )
    return parsed


def parse_instant(raw: str | None, field: str) -> datetime | None:
    """An explicit instant, an ISO 8601 date-time with its offset (a date alone has none); None when absent."""
    if raw is None or not raw.strip():
        return None
    parsed = _aware_instant(_query_text(raw))
    if parsed is None:
        raise InvalidInput(
            field,
            f"{field} : attendu une date et heure ISO 8601 avec fuseau (2026-12-01T10:00:00+01:00 ou "
            f"2026-12-01T09:00:00Z), reçu « {raw} »",
        )
    return parsed


def csv_chunks(db: Database, updated_since: datetime | None, batch_size: int = CSV_BATCH) -> Iterator[str]:
    """The export, header first, one chunk of text per keyset batch; each batch in a session of its own."""
    yield export.CSV_HEADER
    after, skipped = 0, 0
    while True:
        with db.read() as session:
            batch = export.standard_batch(session, after, updated_since, batch_size)
        skipped += len(batch.skipped)
        if batch.skipped:
            log.warning(
                "export: structures %s left out (a required field of the standard is missing)", batch.skipped
            )
        if batch.rows:
            yield batch.text
        if batch.last_id is None:
            break
        after = batch.last_id
    log.info("export finished, %d structure(s) left out", skipped)


def json_array_chunks(
    db: Database,
    batch: Callable[[Session, int, datetime | None, int], data_inclusion.Batch],
    updated_since: datetime | None,
    batch_size: int = EXPORT_BATCH,
) -> Iterator[str]:
    """A JSON array, one chunk of records per keyset batch; each batch in a session of its own."""
    yield "["
    after, first, skipped = 0, True, 0
    while True:
        with db.read() as session:
            step = batch(session, after, updated_since, batch_size)
        if step.records:
            text = ",\n".join(json.dumps(r, ensure_ascii=False) for r in step.records)
            yield text if first else ",\n" + text
            first = False
        skipped += len(step.skipped)
        if step.last_id is None:
            break
        after = step.last_id
    yield "]\n"
    if skipped:
        log.info("data·inclusion export: %d structure(s) left out (name shorter than 3 characters)", skipped)


def geo_routes(services: Services) -> list[Route]:
    settings = services.settings

    async def structures_geojson(request: Request) -> Response:
        params = request.query_params
        try:
            raw_bbox = params.get("bbox")
            if not raw_bbox:
                raise InvalidInput(
                    "bbox",
                    "bbox : paramètre obligatoire, attendu « west,south,east,north » en degrés décimaux",
                )
            query = StructureQuery(
                bbox=BBox.parse(raw_bbox),
                kinds=parse_kinds(params.get("kinds")) or None,
                operators_only=parse_flag(params.get("operators_only"), "operators_only"),
                publics=tuple(parse_names(params.get("publics"), Public, "publics", "public")),
                specific_support=tuple(
                    parse_names(
                        params.get("specific_support"), SpecificSupport, "specific_support", "accueil"
                    )
                ),
                open_at=parse_instant(params.get("open_at"), "open_at"),
            )
            zoom = parse_zoom(params.get("zoom"))
            cap = settings.geojson_max_features

            def run() -> tuple[str, bytes | None]:
                with services.db.read() as session:
                    etag = geojson.validator(geojson.data_version(session), query, zoom, cap)
                    if if_none_match(request, etag):
                        return etag, None
                    return etag, geojson.structures_geojson(session, query, cap, zoom)

            etag, body = await run_in_threadpool(run)
        except DomainError as error:
            return error_response(error)
        # The validator comes from the data version, not from the body: a 304 never builds the answer.
        headers = cache_headers(etag, settings.public_max_age_seconds)
        if body is None:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=GEOJSON_MEDIA_TYPE, headers=headers)

    async def lieux_csv(request: Request) -> Response:
        try:
            since = parse_since(request.query_params.get("updated_since"))
        except DomainError as error:
            return error_response(error)

        def version() -> int:
            with services.db.read() as session:
                return geojson.data_version(session)

        # The file is streamed, so its validator comes from what it is made of, not from its bytes.
        etag = export.validator(await run_in_threadpool(version), "lieux.csv", since)
        return await conditional_get(
            request,
            etag,
            # A sync iterator: Starlette advances it in a worker thread, one batch at a time.
            lambda: StreamingResponse(
                csv_chunks(services.db, since),
                media_type=CSV_MEDIA_TYPE,
                headers={"Content-Disposition": f'attachment; filename="{CSV_FILENAME}"'},
            ),
            settings.public_max_age_seconds,
        )

    def data_inclusion_export(
        name: str, batch: Callable[[Session, int, datetime | None, int], data_inclusion.Batch]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                since = parse_since(request.query_params.get("updated_since"))
            except DomainError as error:
                return error_response(error)

            def version() -> int:
                with services.db.read() as session:
                    return geojson.data_version(session)

            etag = export.validator(await run_in_threadpool(version), name, since)
            return await conditional_get(
                request,
                etag,
                lambda: StreamingResponse(
                    json_array_chunks(services.db, batch, since), media_type=JSON_MEDIA_TYPE
                ),
                settings.public_max_age_seconds,
            )

        return endpoint

    return [
        Route("/geo/structures.geojson", structures_geojson, methods=["GET"]),
        Route("/exports/lieux.csv", lieux_csv, methods=["GET"]),
        Route(
            "/exports/data-inclusion/structures.json",
            data_inclusion_export("data-inclusion/structures.json", data_inclusion.structures_batch),
            methods=["GET"],
        ),
        Route(
            "/exports/data-inclusion/services.json",
            data_inclusion_export("data-inclusion/services.json", data_inclusion.services_batch),
            methods=["GET"],
        ),
    ]
