"""Run and check Alembic migrations against the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
UPGRADE_COMMAND = "aiguillage db upgrade"


class NotMigratedError(Exception):
    pass


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def check_migrated(engine: Engine) -> None:
    """Refuse to serve a database that is not at the latest revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty (never migrated)" if current is None else f"at revision {current}, latest is {head}"
        raise NotMigratedError(f"the database is {state}: run `{UPGRADE_COMMAND}` first")
