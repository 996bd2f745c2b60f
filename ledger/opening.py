"""Opening the ledger a URL names: its backend, its migrations, and its engine's disposal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ledger.backend import Backend
from ledger.ledger import Ledger
from ledger.migrate import upgrade
from ledger.postgres_backend import PostgresBackend
from ledger.sqlite_backend import SqliteBackend
from ledger.urls import Target, parse


@asynccontextmanager
async def open_ledger(url: str) -> AsyncIterator[Ledger]:
    """The ledger at `url`, migrated to the newest schema, until the block ends.

    `url` is `sqlite:///<path>` (relative to the working directory, or `sqlite:////absolute`;
    missing directories are created) or `postgresql://user:password@host:port/database`
    (`?host=/socket/dir` for a unix socket). Raises LedgerStartError when the URL is not one of
    those, the database cannot be reached, or a migration fails.
    """
    target = parse(url)
    backend = backend_for(target)
    try:
        await upgrade(backend, target)
        yield Ledger(backend, target.password)
    finally:
        await backend.dispose()


async def migrate(url: str) -> tuple[str, str]:
    """Migrates the database at `url`: its name for messages, and its schema revision."""
    target = parse(url)
    backend = backend_for(target)
    try:
        return target.shown, await upgrade(backend, target)
    finally:
        await backend.dispose()


def backend_for(target: Target) -> Backend:
    return SqliteBackend(target) if target.backend == "sqlite" else PostgresBackend(target)
