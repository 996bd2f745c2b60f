"""The ledger's hottest read, run as cheaply as each backend allows: a payment by id, which every
GetPaymentStatus makes first (docs/ledger.md, "Reads").

On PostgreSQL the statement is compiled by SQLAlchemy once, then run by psycopg itself on a pool
of its own (psycopg_pool): SQLAlchemy's async engine costs ~0.3 ms of CPU per read in its
pool checkout and greenlet hand-offs, psycopg alone ~0.1 ms (docs/benchmarks.md). Each value
still goes through its column type's own result processing (UtcDateTime's, say), so the rows
are what SQLAlchemy's would be. On SQLite the backend's own read is already that cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Dialect, Select

Rows = Sequence[Mapping[str, Any]]


class PointRead(Protocol):
    async def rows(self, params: Mapping[str, Any]) -> Rows:
        """The statement's rows for `params`; the driver's errors as they come (the ledger turns
        them into LedgerUnavailable)."""
        ...


class Reads(Protocol):
    async def read(self, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Any]: ...


class ThroughTheBackend:
    """The backend's own `read` (SQLite: on the event loop already)."""

    def __init__(self, backend: Reads, statement: Select[Any]) -> None:
        self._backend = backend
        self._statement = statement

    async def rows(self, params: Mapping[str, Any]) -> Rows:
        return [row._mapping for row in await self._backend.read(self._statement, params)]


class ThroughPsycopg:
    """`statement` compiled once for `dialect`, run on a connection of `pool`."""

    def __init__(
        self, pool: AsyncConnectionPool[Any], statement: Select[Any], dialect: Dialect
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        self._pool = pool
        self._sql = str(compiled)
        self._fixed = compiled.params  # the statement's own values (its LIMIT's)
        self._columns = [str(column.key) for column in statement.selected_columns]
        self._types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self._dialect = dialect
        self._processors: list[Callable[[Any], Any] | None] | None = None

    async def rows(self, params: Mapping[str, Any]) -> Rows:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(self._sql, {**self._fixed, **params})
            found = await cursor.fetchall()
            processors = self._processors or self._processors_of(cursor.description or ())
        return [self._mapping(row, processors) for row in found]

    def _processors_of(self, description: Sequence[Any]) -> list[Callable[[Any], Any] | None]:
        """Each column's result processor, given its type code (the first answer's, kept)."""
        self._processors = [
            kind.result_processor(self._dialect, column.type_code)
            for kind, column in zip(self._types, description, strict=True)
        ]
        return self._processors

    def _mapping(
        self, row: Sequence[Any], processors: Sequence[Callable[[Any], Any] | None]
    ) -> Mapping[str, Any]:
        return {
            key: value if process is None else process(value)
            for key, value, process in zip(self._columns, row, processors, strict=True)
        }
