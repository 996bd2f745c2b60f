"""ListPaymentEvents through both doors: the ledger's payment events in ledger order after a
cursor, filtered, paged by cursor; a cursor that is not one is VALIDATION_FAILED. (An expired
cursor, on a real ledger: e2e/test_error_table.py's CURSOR_EXPIRED row.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.ledger import Observation, Payment
from domain.payment_status import PaymentStatus
from tests.conftest import Stub
from tests.edge.conftest import Stack
from tests.edge.doors import call
from tests.fake_ledger import FakeLedger

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


async def became(ledger: FakeLedger, session: str, status: PaymentStatus, **fields: Any) -> None:
    payment = Payment(session, status, AT, **fields)
    await ledger.record(Observation(payment, AT, f"evt_{session}_{status.name}"))


async def feed(door: str, stack: Stack, stub: Stub, **query: Any) -> list[tuple[str, str]]:
    """(session id, status) of every event, page by page after each page's next_cursor."""
    seen: list[tuple[str, str]] = []
    cursor = ""
    while True:
        answer = await call(
            door, stack, stub, "ListPaymentEvents", **query, after_cursor=cursor, page_size=2
        )
        assert answer.reason == "OK", answer
        events = answer.body.get("events", [])
        if not events:
            assert answer.body.get("nextCursor", "") == cursor
            return seen
        seen += [(e["payment"]["id"], e["payment"]["status"]) for e in events]
        cursor = answer.body["nextCursor"]
        assert cursor == events[-1]["cursor"]


async def test_every_change_in_ledger_order_page_by_page(
    door: str, stack: Stack, stub: Stub
) -> None:
    await became(stack.ledger, "cs_1", PaymentStatus.OPEN)  # not an event of the feed
    await became(stack.ledger, "cs_1", PaymentStatus.PROCESSING)
    await became(stack.ledger, "cs_2", PaymentStatus.EXPIRED)
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED)

    assert await feed(door, stack, stub) == [
        ("cs_1", "PAYMENT_STATUS_PROCESSING"),
        ("cs_2", "PAYMENT_STATUS_EXPIRED"),
        ("cs_1", "PAYMENT_STATUS_SUCCEEDED"),
    ]


async def test_filtered_by_order_and_by_customer(door: str, stack: Stack, stub: Stub) -> None:
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED, client_reference_id="o-1")
    await became(stack.ledger, "cs_2", PaymentStatus.FAILED, customer_id="cus_2")

    by_order = await feed(door, stack, stub, client_reference_id="o-1")
    by_customer = await feed(door, stack, stub, customer_id="cus_2")

    assert by_order == [("cs_1", "PAYMENT_STATUS_SUCCEEDED")]
    assert by_customer == [("cs_2", "PAYMENT_STATUS_FAILED")]


async def test_a_cursor_that_is_not_one_fails_validation(
    door: str, stack: Stack, stub: Stub
) -> None:
    answer = await call(door, stack, stub, "ListPaymentEvents", after_cursor="not-a-cursor")

    assert answer.reason == "VALIDATION_FAILED"
    assert "after_cursor" in answer.violations


async def test_filtered_by_statuses_given_as_repeated_query_parameters(stack: Stack) -> None:
    await became(stack.ledger, "cs_1", PaymentStatus.PROCESSING)
    await became(stack.ledger, "cs_2", PaymentStatus.EXPIRED)
    await became(stack.ledger, "cs_1", PaymentStatus.SUCCEEDED)
    statuses = [("statuses", "PAYMENT_STATUS_EXPIRED"), ("statuses", "PAYMENT_STATUS_SUCCEEDED")]

    status, body = await stack.call("GET", "/v1/payment-events", params=statuses)

    assert status == 200, body
    assert [(e["payment"]["id"], e["payment"]["status"]) for e in body["events"]] == [
        ("cs_2", "PAYMENT_STATUS_EXPIRED"),
        ("cs_1", "PAYMENT_STATUS_SUCCEEDED"),
    ]
