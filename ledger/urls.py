"""The ledger's URL: `sqlite:///<path>` or `postgresql://user:password@host:port/database` (also
`postgresql://user@/database?host=/socket/dir`), read into the SQLAlchemy URL of its driver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from ledger.errors import LedgerStartError

FORMS = "sqlite:///<path> or postgresql://user:password@host:port/database"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")  # RFC 3986: nothing secret can be in it


@dataclass(frozen=True, slots=True)
class Target:
    """A database the ledger can open: its backend, the URL of its async driver, how to name it
    in a message (no password), and the password to keep out of any message."""

    backend: Literal["sqlite", "postgresql"]
    url: URL
    shown: str
    password: str


def parse(text: str) -> Target:
    """Raises LedgerStartError for a URL of another scheme, or one that names no database."""
    scheme = text.partition("://")[0] if "://" in text else ""
    if scheme not in ("sqlite", "postgresql"):
        named = f"a {scheme!r} URL" if _SCHEME.match(scheme) else "not a URL of either form"
        raise LedgerStartError(f"the ledger's database URL must be {FORMS}; this is {named}")
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise LedgerStartError(
            f"the ledger's database URL is malformed; it must be {FORMS}"
        ) from None
    return _sqlite(url) if scheme == "sqlite" else _postgresql(url)


def _sqlite(url: URL) -> Target:
    path = url.database or ""
    if not path or path == ":memory:" or path.startswith("file:") or url.query or url.host:
        raise LedgerStartError(
            "the ledger's SQLite URL must name a file, as sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db, with no options"
        )
    return Target("sqlite", url.set(drivername="sqlite+aiosqlite"), f"sqlite:///{path}", "")


def _postgresql(url: URL) -> Target:
    if not url.database:
        raise LedgerStartError(
            "the ledger's PostgreSQL URL names no database: postgresql://user:password@host:port/"
            "database (or postgresql://user@/database?host=/socket/dir)"
        )
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return Target("postgresql", url.set(drivername="postgresql+psycopg"), shown, url.password or "")


def sqlite_file(target: Target) -> Path:
    """The SQLite database's file, relative paths taken from the working directory."""
    return Path(target.url.database or "").absolute()
