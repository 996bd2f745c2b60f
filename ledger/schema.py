"""The ledger's tables, as the queries see them. The migrations in ledger/migrations create them;
tests/ledger/test_migrations.py checks that both say the same."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)
from sqlalchemy.types import TypeDecorator

VERSION_TABLE = "ledger_schema_version"


class UtcDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and read back as an aware UTC datetime on every backend (SQLite
    keeps no time zone; PostgreSQL answers in the session's). A naive datetime is taken as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite gives a table's INTEGER PRIMARY KEY the next rowid; PostgreSQL a BIGSERIAL.
Sequence = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

provider_events = Table(
    "provider_events",
    metadata,
    Column("event_id", String(255), primary_key=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
)


def _payment_fields() -> list[Column[Any]]:
    """What a payment row and a payment event row both hold first: their order (`seq`), the
    payment's ids, its amount and its metadata (fresh Columns: one table each)."""
    return [
        Column("seq", Sequence, primary_key=True, autoincrement=True),
        Column("checkout_session_id", String(255), nullable=False),
        Column("payment_intent_id", String(255)),
        Column("customer_id", String(255)),
        Column("client_reference_id", String(255)),
        Column("amount", BigInteger()),
        Column("currency", String(3)),
        Column("metadata", JSON(none_as_null=True)),  # SQL NULL, not JSON null: COALESCE
    ]


payments = Table(
    "payments",
    metadata,
    *_payment_fields(),
    Column("status", String(32), nullable=False),
    Column("status_progress", SmallInteger(), nullable=False),
    Column("status_changed_at", UtcDateTime(), nullable=False),
    Column("provider_status", String(64), nullable=False),
    Column("provider_payment_status", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_payments_checkout_session_id", "checkout_session_id", unique=True),
    Index("ix_payments_payment_intent_id", "payment_intent_id", unique=True),
    # With seq: a page of one caller's (or one customer's) payments is one index range.
    Index("ix_payments_client_reference_id", "client_reference_id", "seq"),
    Index("ix_payments_customer_id", "customer_id", "seq"),
)

# One row per payment event (a payment became a status of domain.ledger.FEED_STATUSES): the
# payment as it stood right after the change. `seq` is the feed's order, never reused (SQLite's
# AUTOINCREMENT: a plain rowid would start again below the pruned rows). docs/ledger.md says
# why seq order is commit order on PostgreSQL too.
payment_events = Table(
    "payment_events",
    metadata,
    *_payment_fields(),
    Column("status", String(32), nullable=False),
    Column("status_changed_at", UtcDateTime(), nullable=False),
    Column("provider_status", String(64), nullable=False),
    Column("provider_payment_status", String(64), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Index("ix_payment_events_client_reference_id", "client_reference_id", "seq"),
    Index("ix_payment_events_customer_id", "customer_id", "seq"),
    sqlite_autoincrement=True,
)

ledger_state = Table(
    "ledger_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)
