"""What goes wrong with the database, said in terms an operator or a caller can act on: a start
that cannot succeed (LedgerStartError), a call that may succeed later (LedgerUnavailable)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import exc

from domain.errors import LedgerUnavailable

RETRY_AFTER_SECONDS = 1.0

# Failures of the database or of the way to it, not of our SQL: each may pass if retried.
# psycopg's deadlocks, serialization failures and cancelled statements are OperationalErrors.
TRANSIENT: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,  # no pooled connection free in time
    # psycopg's own, from the point reads' pool (ledger.point_reads); its PoolTimeout (no
    # connection in time) is an OperationalError.
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,  # the point reads' on SQLite (ledger.sqlite_backend)
    OSError,
)


class LedgerStartError(Exception):
    """The ledger cannot open: a URL it does not take, a database it cannot reach, a migration
    that failed. The message is one line that says what to fix, and never holds a password."""


def first_line(error: BaseException, *secrets: str) -> str:
    """The driver's own words for a failure, on one line, without any of `secrets`."""
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split()) or type(original).__name__
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@contextmanager
def unavailable_on_failure(*secrets: str) -> Iterator[None]:
    """Turns a failure of the database, or of the way to it, into LedgerUnavailable."""
    try:
        yield
    except TRANSIENT as error:
        raise LedgerUnavailable(
            f"the payment ledger's database failed: {first_line(error, *secrets)}",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from error
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise LedgerUnavailable(
            f"the payment ledger lost its database connection: {first_line(error, *secrets)}",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from error
