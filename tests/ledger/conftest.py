"""The ledger's contract tests run on both backends: a SQLite file in the test's directory, and a
fresh database on the session's PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.ports import PaymentLedger
from ledger import Ledger, open_ledger


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger/payments.db"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[PaymentLedger]:
    async with open_ledger(ledger_url) as opened:
        as_port: PaymentLedger = opened  # mypy --strict: the ledger is the port, exactly
        yield as_port


@pytest.fixture
async def second_ledger(ledger_url: str, ledger: PaymentLedger) -> AsyncIterator[Ledger]:
    """Another ledger on the same database (its own engine), as another replica has."""
    async with open_ledger(ledger_url) as opened:
        yield opened
