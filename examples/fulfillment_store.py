"""The fulfillment worker's own store: the orders it has fulfilled and the feed cursor it has
reached, in one SQLite file, changed together in one transaction per event.

Because the order row and the cursor commit together, the worker is idempotent: an event
delivered again (after a crash between handling and storing, a cut stream, a cursor rewound)
finds its order already there and fulfils nothing; and a restart resumes after the last event
whose effect was kept, never after one whose effect was lost.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from payments.v1 import payments_pb2

SCHEMA = """
CREATE TABLE IF NOT EXISTS fulfilled_orders (
    order_id     TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL,
    amount_total INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    cursor       TEXT NOT NULL,
    fulfilled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_position (
    only   INTEGER PRIMARY KEY CHECK (only = 1),
    cursor TEXT NOT NULL
);
"""
FULFIL = """
INSERT INTO fulfilled_orders (order_id, payment_id, amount_total, currency, cursor, fulfilled_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (order_id) DO NOTHING
"""
# Cursors compare as strings in ledger order: an event seen again never moves the cursor back.
ADVANCE = """
INSERT INTO feed_position (only, cursor) VALUES (1, ?)
ON CONFLICT (only) DO UPDATE SET cursor = excluded.cursor WHERE excluded.cursor > cursor
"""


class FulfillmentStore:
    """One SQLite file; open it with `FulfillmentStore(path)`, `close()` when done."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(path)
        # WAL: a reader (a report, a test) never blocks the worker's writes.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def cursor(self) -> str:
        """The cursor of the last event handled; "" before the first (the feed's start)."""
        row = self._db.execute("SELECT cursor FROM feed_position").fetchone()
        return "" if row is None else str(row[0])

    def fulfil(self, event: payments_pb2.PaymentEvent) -> bool:
        """Records the event's order as fulfilled and the event's cursor as reached, in one
        transaction; False when the order was fulfilled already (nothing is done twice)."""
        payment = event.payment
        # An order paid twice (two checkouts) is still one order to ship.
        order_id = payment.client_reference_id or payment.id
        now = datetime.now(UTC).isoformat()
        with self._db:  # BEGIN … COMMIT (ROLLBACK on error)
            fulfilled = self._db.execute(
                FULFIL,
                (order_id, payment.id, payment.amount_total, payment.currency, event.cursor, now),
            )
            self._db.execute(ADVANCE, (event.cursor,))
        return fulfilled.rowcount == 1

    def fulfilled_orders(self) -> dict[str, str]:
        """order id -> the payment that fulfilled it."""
        rows = self._db.execute("SELECT order_id, payment_id FROM fulfilled_orders")
        return {str(order_id): str(payment_id) for order_id, payment_id in rows}
