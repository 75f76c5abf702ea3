"""Settings from the environment (prefix ``AIGUILLAGE_``), one group per concern.

Built by the app factory and the CLI, never at import time.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.nearby import MAX_RADIUS_KM

ENV_PREFIX = "AIGUILLAGE_"
# Variables read by the test suite and bench scripts, not by the service.
_NOT_SETTINGS = ("AIGUILLAGE_TEST_", "AIGUILLAGE_BENCH_")


ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")


def _split_origins(value: str) -> list[str]:
    return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]


class SettingsError(Exception):
    """A setting is unknown or invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/aiguillage.db",
        description="SQLAlchemy URL: sqlite:///path (SpatiaLite) or postgresql+psycopg://… (PostGIS)",
    )
    database_pool_size: int = Field(
        default=40,
        ge=1,
        le=1000,
        description="database connections each process keeps open: as many as it runs requests at once (its "
        "40 worker threads), so that a request in flight never opens and closes a connection of its own",
    )
    environment: Literal["development", "production"] = "development"
    carnet_pattern: str = Field(
        default=r"[0-9]{3}[a-z]{3}",
        description="regular expression a normalised (lower-case) carnet number must match in full",
    )
    carnet_example: str = Field(default="000ysz", description="shown in error messages")
    page_size_max: int = Field(default=100, ge=1, le=1000)
    # The deepest query the service's own screens send is 6 levels (dossiers → edges → node → history →
    # fromStructure → name); 8 leaves room and still stops structure ↔ offerings cycles early.
    max_query_depth: int = Field(default=8, ge=2, le=50)
    max_aliases: int = Field(default=30, ge=1, le=1000)
    max_tokens: int = Field(default=3000, ge=100, le=100_000)
    max_query_cost: int = Field(
        default=20_000, ge=1, description="estimated objects one authenticated request may resolve"
    )
    max_query_cost_anonymous: int = Field(
        default=5_000, ge=1, description="the same for a request without a token (the public map)"
    )
    unbounded_list_estimate: int = Field(
        default=10, ge=1, le=1000, description="assumed length of a list that takes no `first` (offerings)"
    )
    max_list_items: int = Field(default=100, ge=1, le=10_000, description="longest list argument")
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=100_000_000)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    parser_cache_size: int = Field(default=256, ge=0, le=100_000)
    redis_url: str | None = None
    claim_max_failures: int = Field(default=10, ge=1)
    claim_structure_max_failures: int = Field(
        default=20,
        ge=1,
        description="failed retrievals allowed per structure (all its operators) per window",
    )
    claim_window_seconds: int = Field(default=900, ge=1)
    claim_cooldown_seconds: int = Field(
        default=600,
        ge=0,
        description="a dossier just retrieved by one structure cannot be retrieved by another",
    )
    geojson_max_features: int = Field(default=5000, ge=1, le=100_000)
    nearby_max_radius_km: float = Field(default=MAX_RADIUS_KM, gt=0)
    # Following dossiers over time, notifications and the worker (README: « The worker, e-mail and webhooks »).
    remind_after_days: int = Field(
        default=10,
        ge=1,
        description="an ORIENTED dossier waiting longer is overdue; its structure is reminded once",
    )
    expire_after_days: int = Field(
        default=30,
        ge=0,
        description="an ORIENTED dossier waiting longer returns to the coordinators; 0: never",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:password@]host[:port], smtp+starttls://… or smtps://…; unset: no e-mail",
    )
    mail_from: str = Field(default="aiguillage <ne-pas-repondre@localhost>", description="From: of e-mails")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="where links in e-mails point (the console's address)"
    )
    worker_interval_seconds: int = Field(default=60, ge=1, description="how often the worker runs its jobs")
    webhook_retry_hours: int = Field(
        default=24, ge=1, description="a webhook delivery failing for longer is marked failed"
    )
    webhook_retry_first_seconds: int = Field(
        default=30,
        ge=1,
        description="wait before the first retry of a failed delivery; doubles at each retry",
    )
    worker_lease_seconds: int = Field(
        default=120,
        ge=1,
        description="a worker holds a delivery this long; one that dies lets go after it (more than the timeouts)",
    )
    retention_days: int = Field(
        default=730,
        ge=1,
        description="a dossier archived longer than this is purged; only anonymous statistics remain",
    )
    cors_origins: str = Field(
        default="",
        description="origins allowed to call the API from a browser: comma-separated, or * for any",
    )
    cors_max_age_seconds: int = Field(default=600, ge=0, le=86_400)
    public_max_age_seconds: int = Field(
        default=60, ge=0, le=86_400, description="how long caches may keep public GET answers"
    )
    spatialite_library: str = "mod_spatialite"
    map_tiles_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="tile URL template of the public map and the console's small maps ({z}, {x}, {y})",
    )
    map_tiles_attribution: str = Field(
        default="© les contributeurs d'OpenStreetMap",
        description="attribution shown on the maps (the tiles' licence requires it)",
    )
    map_frame_ancestors: str = Field(
        default="'none'",
        description="CSP frame-ancestors of the public map: 'none', or the origins allowed to embed it",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("carnet_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("smtp://", "smtp+starttls://", "smtps://")):
            raise ValueError("expected smtp://host:port, smtp+starttls://user:password@host:587 or smtps://…")
        return value or None

    @field_validator("map_tiles_url")
    @classmethod
    def _tiles_template(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or not all(
            p in value for p in ("{z}", "{x}", "{y}")
        ):
            raise ValueError("expected an http(s) URL template with {z}, {x} and {y}")
        return value

    @field_validator("map_frame_ancestors")
    @classmethod
    def _frame_sources(cls, value: str) -> str:
        # One CSP directive's value: a character that ends a directive would let a setting add others.
        if not value.strip() or any(c in value for c in ";,\r\n"):
            raise ValueError("expected 'none', 'self' or origins separated by spaces (https://example.fr)")
        return value.strip()

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split_origins(value):
            if origin != "*" and not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"not an origin: {origin!r} (expected scheme://host[:port] without a path, or *)"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+")):
            raise ValueError("expected sqlite:///path/to/file.db or postgresql+psycopg://user@host/db")
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def cors_origin_list(self) -> list[str]:
        return _split_origins(self.cors_origins)

    @property
    def backend(self) -> str:
        return "postgis" if self.database_url.startswith("postgresql") else "spatialite"


def load_settings(**overrides: object) -> Settings:
    """Read the environment; an unknown ``AIGUILLAGE_*`` variable or a bad value raises SettingsError."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    for name in sorted(os.environ):
        if name.startswith(ENV_PREFIX) and name not in known and not name.startswith(_NOT_SETTINGS):
            raise SettingsError(f"{name}: unknown setting (known: {', '.join(sorted(known))})")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise SettingsError(f"{ENV_PREFIX}{field.upper()}: {first['msg']}") from exc
