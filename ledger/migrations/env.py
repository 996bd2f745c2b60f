"""Alembic's environment for the ledger: always run by ledger.migrate on a connection it opened,
locked and began a transaction on (config.attributes["connection"]); never from alembic.ini."""

from __future__ import annotations

from alembic import context

from ledger.schema import VERSION_TABLE, metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
