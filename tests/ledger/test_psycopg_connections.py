"""The PostgreSQL point reads' connections (ledger/psycopg_connections.py), on a real server: at
most `size` in use, the rest waiting their turn; a connection kept between reads; a read
cancelled mid-statement leaves the next read a connection that works; a refused connect fails
the read with psycopg's error."""

from __future__ import annotations

import asyncio
import socket

import psycopg
import pytest
from sqlalchemy import make_url

from ledger.psycopg_connections import PsycopgConnections


def conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_beyond_its_size_a_read_waits_for_a_connection_then_gets_the_same_one(
    postgres_database_url: str,
) -> None:
    connections = PsycopgConnections(conninfo(postgres_database_url), 1, 5)
    try:
        async with connections.connection() as first:
            second = asyncio.ensure_future(_backend_pid(connections))
            await asyncio.sleep(0)  # the second read runs until it waits
            assert not second.done()
            pid = (await (await first.execute("SELECT pg_backend_pid()")).fetchone() or [0])[0]
        assert await second == pid
    finally:
        await connections.close()


async def test_a_read_cancelled_mid_statement_leaves_the_next_a_working_connection(
    postgres_database_url: str,
) -> None:
    connections = PsycopgConnections(conninfo(postgres_database_url), 1, 5)
    started = asyncio.Event()

    async def slow_read() -> None:
        async with connections.connection() as connection:
            started.set()
            await connection.execute("SELECT pg_sleep(30)")

    try:
        read = asyncio.ensure_future(slow_read())
        await started.wait()
        await asyncio.sleep(0)  # the statement is sent
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read
        async with connections.connection() as connection:
            assert (await (await connection.execute("SELECT 1")).fetchone() or [0])[0] == 1
    finally:
        await connections.close()


async def test_a_refused_connect_fails_the_read() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: connections are refused
        connections = PsycopgConnections(f"postgresql://nobody@127.0.0.1:{port}/none", 5, 5)
        with pytest.raises(psycopg.OperationalError):
            async with connections.connection():
                pass


async def _backend_pid(connections: PsycopgConnections) -> int:
    async with connections.connection() as connection:
        row = await (await connection.execute("SELECT pg_backend_pid()")).fetchone()
        return int(row[0]) if row else 0
