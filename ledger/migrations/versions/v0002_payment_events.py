"""The payment-event feed: a row per status change a payment made to PROCESSING, SUCCEEDED,
FAILED, EXPIRED or CANCELED. It starts with one row per payment already in one of those
statuses (its current status, in the order of their changes), so a consumer reading from the
start learns every payment's outcome, including those recorded before the feed existed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_COPIED = (
    "checkout_session_id, payment_intent_id, customer_id, client_reference_id, amount, currency,"
    " metadata, status, status_changed_at, provider_status, provider_payment_status"
)


def upgrade() -> None:
    op.create_table(
        "payment_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("checkout_session_id", sa.String(255), nullable=False),
        sa.Column("payment_intent_id", sa.String(255)),
        sa.Column("customer_id", sa.String(255)),
        sa.Column("client_reference_id", sa.String(255)),
        sa.Column("amount", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("metadata", sa.JSON()),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_changed_at", UtcDateTime(), nullable=False),
        sa.Column("provider_status", sa.String(64), nullable=False),
        sa.Column("provider_payment_status", sa.String(64), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_payment_events_client_reference_id",
        "payment_events",
        ["client_reference_id", "seq"],
    )
    op.create_index("ix_payment_events_customer_id", "payment_events", ["customer_id", "seq"])
    op.execute(
        f"INSERT INTO payment_events ({_COPIED}, recorded_at)"
        f" SELECT {_COPIED}, updated_at FROM payments"
        " WHERE status IN ('PROCESSING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELED')"
        " ORDER BY status_changed_at, seq"
    )


def downgrade() -> None:
    op.drop_table("payment_events")
