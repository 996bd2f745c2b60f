"""The ledger's hottest read, run as cheaply as each backend allows: a payment by id, which every
GetPaymentStatus makes first (docs/ledger.md, "Reads").

On PostgreSQL the statement is compiled by SQLAlchemy once, then run by psycopg itself on
connections of its own (ledger.psycopg_connections): SQLAlchemy's async engine costs ~0.3 ms of
CPU per read in its pool checkout and greenlet hand-offs, psycopg alone ~0.1 ms
(docs/benchmarks.md). Each value
still goes through its column type's own result processing (UtcDateTime's, say), so the rows
are what SQLAlchemy's would be. On SQLite the same compiled statement runs on sqlite3 itself, on
the event loop (ledger.sqlite_backend): ~0.15 ms of CPU a read through SQLAlchemy's execution
in a loaded service, a few hundredths without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Dialect, Select

from ledger.psycopg_connections import PsycopgConnections

Rows = Sequence[Mapping[Any, Any]]  # by column name (RowMapping also takes columns)


class PointRead(Protocol):
    async def rows(self, params: Mapping[str, Any]) -> Rows:
        """The statement's rows for `params`; the driver's errors as they come (the ledger turns
        them into LedgerUnavailable)."""
        ...


class CompiledRead:
    """`statement` compiled once for `dialect`: its SQL, the parameters as the driver takes them
    (by name, or in order for a positional style such as sqlite3's), and its rows made as
    SQLAlchemy makes them (each value through its column type's result processor)."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._fixed = compiled.params  # the statement's own values (its LIMIT's)
        self._order = compiled.positiontup  # None when the driver takes names
        self._columns = [str(column.key) for column in statement.selected_columns]
        self._types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self._dialect = dialect
        self._processors: list[Callable[[Any], Any] | None] | None = None

    def parameters(self, params: Mapping[str, Any]) -> Mapping[str, Any] | Sequence[Any]:
        values = {**self._fixed, **params}
        return values if self._order is None else [values[name] for name in self._order]

    def mappings(self, rows: Sequence[Sequence[Any]], description: Sequence[Any]) -> Rows:
        processors = self._processors or self._processors_of(description)
        return [
            {
                key: value if process is None else process(value)
                for key, value, process in zip(self._columns, row, processors, strict=True)
            }
            for row in rows
        ]

    def _processors_of(self, description: Sequence[Any]) -> list[Callable[[Any], Any] | None]:
        """Each column's result processor, given its type code (the first answer's, kept)."""
        self._processors = [
            kind.result_processor(self._dialect, column[1])  # (name, type_code, …)
            for kind, column in zip(self._types, description, strict=True)
        ]
        return self._processors


class ThroughPsycopg:
    """`statement` compiled once for `dialect`, run on one of `connections`."""

    def __init__(
        self, connections: PsycopgConnections, statement: Select[Any], dialect: Dialect
    ) -> None:
        self._connections = connections
        self._compiled = CompiledRead(statement, dialect)

    async def rows(self, params: Mapping[str, Any]) -> Rows:
        async with self._connections.connection() as connection:
            parameters = self._compiled.parameters(params)
            cursor = await connection.execute(self._compiled.sql, parameters)
            return self._compiled.mappings(await cursor.fetchall(), cursor.description or ())
