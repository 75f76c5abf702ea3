"""Alembic environment: the connection comes from app.migrate (never from alembic.ini)."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=alembic_helpers.include_object,
    process_revision_directives=alembic_helpers.writer,
    render_item=alembic_helpers.render_item,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
