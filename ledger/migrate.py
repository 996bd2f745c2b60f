"""The schema's migrations (Alembic, scripts in ledger/migrations), applied up to the newest in
one transaction that holds the backend's migration lock: several processes starting at once
migrate once, the others find the schema current."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Connection, exc

from ledger.backend import Backend
from ledger.errors import LedgerStartError, first_line
from ledger.schema import VERSION_TABLE
from ledger.urls import Target

SCRIPTS = "ledger:migrations"


async def upgrade(backend: Backend, target: Target, revision: str = "head") -> str:
    """Migrates the database to the newest schema (or to `revision`); its revision. Raises
    LedgerStartError."""
    try:
        await backend.prepare()
        connection = await backend.engine.connect()
    except exc.DBAPIError as error:
        raise LedgerStartError(
            f"cannot reach the ledger's database {target.shown}: "
            f"{first_line(error, target.password)} (check the URL, and that the database is up)"
        ) from None
    try:
        async with connection.begin():
            await backend.lock_for_migration(connection)
            return await connection.run_sync(_upgrade, revision)
    except exc.DBAPIError as error:
        raise LedgerStartError(
            f"migrating the ledger's database {target.shown} failed: "
            f"{first_line(error, target.password)}"
        ) from None
    except CommandError as error:  # a revision this code does not have: a newer release's
        raise LedgerStartError(
            f"the ledger's database {target.shown} has a schema this release does not know "
            f"({first_line(error)}): run a release at least as new as the one that migrated it"
        ) from None
    finally:
        await connection.close()


def _upgrade(connection: Connection, revision: str) -> str:
    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision() or ""
