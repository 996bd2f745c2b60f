"""A PostgreSQL server for tests, and a fresh database on it per test.

The server is PAYMENTS_TEST_DATABASE_URL's (a role that may create databases), else a throwaway
cluster that tools/postgres.sh starts (installing Debian's postgresql if absent) and stops. When
neither can be had the tests that need it skip, except in CI (CI set), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tools" / "postgres.sh"
GIVEN_URL = "PAYMENTS_TEST_DATABASE_URL"


def unavailable(reason: str) -> None:
    """Skips, or fails in CI: there the PostgreSQL tests never skip."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@contextmanager
def server() -> Iterator[str]:
    """A server's URL (of its `payments` database) for as long as the block lasts."""
    given = os.environ.get(GIVEN_URL)
    if given:
        yield given
        return
    directory = tempfile.mkdtemp(prefix="payments-postgres.")
    started = subprocess.run(
        [SCRIPT, "start", directory], capture_output=True, text=True, timeout=600, check=False
    )
    if started.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        last = (started.stderr.strip().splitlines() or ["no output"])[-1]
        unavailable(f"tools/postgres.sh could not start PostgreSQL: {last}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([SCRIPT, "stop", directory], capture_output=True, timeout=120, check=True)


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def admin(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(url, autocommit=True)


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server at `url`, dropped after the block: its URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    with admin(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(url, name)
    finally:
        with admin(url) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )


_TERMINATE_OTHERS = (
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def terminate_backends(url: str) -> int:
    """Ends every other session on the database `url` names, as a server restart would: how
    many there were."""
    with admin(url) as connection:
        ended = connection.execute(_TERMINATE_OTHERS).fetchone()
    return int(ended[0]) if ended else 0


@contextmanager
def database_down(url: str, server_url: str) -> Iterator[None]:
    """While the block runs the database `url` names has no session and refuses new ones; done
    from another database of the server (`server_url`'s: a database cannot lock itself out)."""
    with admin(server_url) as connection:
        name = make_url(url).database or ""
        connection.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
        try:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            yield
        finally:
            connection.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name))
            )
