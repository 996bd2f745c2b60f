"""ListPayments through both doors: from the ledger alone, by order or by customer, paged
(AIP-158), and the checkouts CreateCheckout opens are listed at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.ledger import Observation, Payment
from domain.money import Money
from domain.payment_status import PaymentStatus
from tests.conftest import Stub
from tests.edge.conftest import Stack
from tests.edge.doors import call
from tests.edge.test_routes import create_customer, create_product
from tests.fake_ledger import FakeLedger

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


async def recorded(ledger: FakeLedger, count: int, **fields: Any) -> list[str]:
    """`count` payments the ledger learnt of (from events, say); their ids."""
    ids = [f"cs_test_{len(ledger.payments) + i}" for i in range(count)]
    for session_id in ids:
        payment = Payment(session_id, PaymentStatus.OPEN, AT, **fields)
        await ledger.record(Observation(payment, AT))
    return ids


async def all_pages(door: str, stack: Stack, stub: Stub, **query: Any) -> list[list[str]]:
    """The ids of every page, following next_page_token to the end."""
    pages: list[list[str]] = []
    token = ""
    while True:
        answer = await call(door, stack, stub, "ListPayments", **query, page_token=token)
        assert answer.reason == "OK", answer
        pages.append([p["id"] for p in answer.body.get("payments", [])])
        token = answer.body.get("nextPageToken", "")
        if not token:
            return pages


async def test_by_order_id_with_every_field(door: str, stack: Stack, stub: Stub) -> None:
    payment = Payment(
        "cs_test_paid",
        PaymentStatus.SUCCEEDED,
        AT,
        payment_intent_id="pi_1",
        customer_id="cus_1",
        total=Money(5000, "usd"),
        client_reference_id="order/1 & 2",  # characters a query string must escape
        metadata={"product_id": "prod_1"},
        provider_status="complete",
        provider_payment_status="paid",
    )
    await stack.ledger.record(Observation(payment, AT))
    await recorded(stack.ledger, 1, client_reference_id="order-2")

    answer = await call(door, stack, stub, "ListPayments", client_reference_id="order/1 & 2")

    assert answer.reason == "OK", answer
    assert answer.body == {
        "payments": [
            {
                "id": "cs_test_paid",
                "status": "PAYMENT_STATUS_SUCCEEDED",
                "clientReferenceId": "order/1 & 2",
                "paymentIntentId": "pi_1",
                "customerId": "cus_1",
                "amountTotal": "5000",
                "currency": "usd",
                "metadata": {"product_id": "prod_1"},
                "updateTime": "2026-01-02T03:04:05Z",
                "stripeStatus": "complete",
                "stripePaymentStatus": "paid",
            }
        ]
    }
    assert stack.gateway.calls == []  # the ledger alone


async def test_by_customer_over_several_pages(door: str, stack: Stack, stub: Stub) -> None:
    mine = await recorded(stack.ledger, 5, customer_id="cus_1")
    await recorded(stack.ledger, 2, customer_id="cus_2")

    pages = await all_pages(door, stack, stub, customer_id="cus_1", page_size=2)

    assert pages == [mine[0:2], mine[2:4], mine[4:5]]


async def test_nothing_matching_is_an_empty_page(door: str, stack: Stack, stub: Stub) -> None:
    answer = await call(door, stack, stub, "ListPayments", customer_id="cus_nobody")

    assert (answer.reason, answer.body) == ("OK", {})  # no payments, no next_page_token


async def test_page_size_zero_is_50(door: str, stack: Stack, stub: Stub) -> None:
    await recorded(stack.ledger, 51, customer_id="cus_1")

    pages = await all_pages(door, stack, stub, customer_id="cus_1")

    assert [len(page) for page in pages] == [50, 1]


async def test_page_size_over_100_is_taken_as_100(door: str, stack: Stack, stub: Stub) -> None:
    await recorded(stack.ledger, 101, customer_id="cus_1")

    pages = await all_pages(door, stack, stub, customer_id="cus_1", page_size=1000)

    assert [len(page) for page in pages] == [100, 1]


@pytest.mark.parametrize(
    "query",
    [{}, {"client_reference_id": "order-1", "customer_id": "cus_1"}],
    ids=["neither", "both"],
)
async def test_exactly_one_filter(
    door: str, stack: Stack, stub: Stub, query: dict[str, str]
) -> None:
    answer = await call(door, stack, stub, "ListPayments", **query)

    assert answer.reason == "VALIDATION_FAILED", answer
    assert set(answer.violations) == {"client_reference_id", "customer_id"}
    assert all("client_reference_id, customer_id" in v for v in answer.violations.values())


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"customer_id": "cus_1", "page_size": -1}, "page_size"),
        ({"customer_id": "prod_1"}, "customer_id"),
        ({"client_reference_id": "o" * 201}, "client_reference_id"),
        ({"customer_id": "cus_1", "page_token": "t" * 1025}, "page_token"),
        ({"customer_id": "cus_1", "page_token": "not-a-token"}, "page_token"),  # the ledger's
    ],
    ids=["negative-page_size", "customer_id", "long-order-id", "long-token", "foreign-token"],
)
async def test_bad_query_fields_fail_validation(
    door: str, stack: Stack, stub: Stub, query: dict[str, Any], field: str
) -> None:
    answer = await call(door, stack, stub, "ListPayments", **query)

    assert answer.reason == "VALIDATION_FAILED", answer
    assert set(answer.violations) == {field}


async def test_a_checkout_just_created_is_listed_open(door: str, stack: Stack, stub: Stub) -> None:
    customer = await create_customer(stack)
    product = await create_product(stack)
    expiry = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)

    created = await call(
        door,
        stack,
        stub,
        "CreateCheckout",
        product_id=product["id"],
        customer_id=customer["id"],
        metadata={"cart": "9"},
        client_reference_id="order-42",
        expire_time=expiry.isoformat().replace("+00:00", "Z"),
    )

    assert created.reason == "OK", created
    session_id = created.body["checkoutSessionId"]
    assert created.body["clientReferenceId"] == "order-42"
    sent = stack.gateway.checkouts[session_id]
    assert (sent.client_reference_id, sent.expires_at) == ("order-42", expiry)
    listed = await call(door, stack, stub, "ListPayments", client_reference_id="order-42")
    [payment] = listed.body["payments"]
    assert payment["id"] == session_id
    assert payment["status"] == "PAYMENT_STATUS_OPEN"
    assert (payment["customerId"], payment["amountTotal"]) == (customer["id"], "2500")
    assert payment["metadata"] == {"cart": "9", "product_id": product["id"]}
    by_customer = await call(door, stack, stub, "ListPayments", customer_id=customer["id"])
    assert [p["id"] for p in by_customer.body["payments"]] == [session_id]


@pytest.mark.parametrize(
    "offset",
    [timedelta(minutes=29), timedelta(hours=24, minutes=1), timedelta(hours=-1)],
    ids=["under-30-minutes", "over-24-hours", "past"],
)
async def test_an_expiry_outside_stripes_window_fails_validation(
    door: str, stack: Stack, stub: Stub, offset: timedelta
) -> None:
    expiry = (datetime.now(UTC) + offset).isoformat().replace("+00:00", "Z")

    answer = await call(
        door,
        stack,
        stub,
        "CreateCheckout",
        product_id="prod_1",
        customer_id="cus_1",
        expire_time=expiry,
    )

    assert answer.reason == "VALIDATION_FAILED", answer
    assert set(answer.violations) == {"expire_time"}
    assert "30 minutes and 24 hours" in answer.violations["expire_time"]
    assert stack.gateway.calls == []
