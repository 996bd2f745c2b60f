"""The ledger: provider events taken in, payments, and the ledger's own state (the reconciler's
watermark).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_events",
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
    )
    _create_payments()
    op.create_table(
        "ledger_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def _create_payments() -> None:
    op.create_table(
        "payments",
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
        sa.Column("status_progress", sa.SmallInteger(), nullable=False),
        sa.Column("status_changed_at", UtcDateTime(), nullable=False),
        sa.Column("provider_status", sa.String(64), nullable=False),
        sa.Column("provider_payment_status", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index(
        "ix_payments_checkout_session_id", "payments", ["checkout_session_id"], unique=True
    )
    op.create_index("ix_payments_payment_intent_id", "payments", ["payment_intent_id"], unique=True)
    op.create_index("ix_payments_client_reference_id", "payments", ["client_reference_id", "seq"])
    op.create_index("ix_payments_customer_id", "payments", ["customer_id", "seq"])


def downgrade() -> None:
    op.drop_table("ledger_state")
    op.drop_table("payments")
    op.drop_table("provider_events")
