"""payment() by either id, and list_payments() paged in insertion order with tokens bound to
their query — on both backends."""

from __future__ import annotations

import base64

import pytest

from domain.errors import InvalidInput
from domain.ledger import Payment, PaymentQuery
from domain.payment_status import PaymentStatus as S
from domain.ports import PaymentLedger
from tests.ledger.observations import full_payment, observed, payment


async def test_a_payment_is_found_by_its_checkout_and_by_its_payment_intent(
    ledger: PaymentLedger,
) -> None:
    kept = full_payment("cs_a", payment_intent_id="pi_a")
    await ledger.record(observed(kept))
    await ledger.record(observed(full_payment("cs_b", payment_intent_id="pi_b")))

    assert await ledger.payment("cs_a") == kept
    assert await ledger.payment("pi_a") == kept
    assert await ledger.payment("cs_unknown") is None
    assert await ledger.payment("pi_unknown") is None
    assert await ledger.payment("") is None


async def record_orders(ledger: PaymentLedger, count: int) -> list[Payment]:
    made = [payment(f"cs_{i}", client_reference_id="order-7") for i in range(count)]
    for each in made:
        await ledger.record(observed(each))
    return made


async def all_pages(ledger: PaymentLedger, query: PaymentQuery) -> list[list[Payment]]:
    pages = []
    while True:
        page = await ledger.list_payments(query)
        pages.append(list(page.payments))
        if not page.next_page_token:
            return pages
        query = PaymentQuery(
            client_reference_id=query.client_reference_id,
            customer_id=query.customer_id,
            page_size=query.page_size,
            page_token=page.next_page_token,
        )


@pytest.mark.parametrize(
    ("count", "size", "sizes"), [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (3, 50, [3])]
)
async def test_pages_come_in_insertion_order_and_the_last_has_no_token(
    ledger: PaymentLedger, count: int, size: int, sizes: list[int]
) -> None:
    made = await record_orders(ledger, count)
    await ledger.record(observed(payment("cs_other", client_reference_id="order-8")))

    pages = await all_pages(ledger, PaymentQuery(client_reference_id="order-7", page_size=size))

    assert [len(page) for page in pages] == sizes
    assert [each for page in pages for each in page] == made


async def test_a_payment_keeps_its_place_when_it_changes(ledger: PaymentLedger) -> None:
    made = await record_orders(ledger, 3)
    await ledger.record(observed(payment("cs_0", S.SUCCEEDED)))

    (page,) = await all_pages(ledger, PaymentQuery(client_reference_id="order-7"))

    assert [each.checkout_session_id for each in page] == ["cs_0", "cs_1", "cs_2"]
    assert page[0].status is S.SUCCEEDED
    assert page[1:] == made[1:]


async def test_payments_are_listed_by_customer(ledger: PaymentLedger) -> None:
    await ledger.record(observed(payment("cs_a", customer_id="cus_1")))
    await ledger.record(observed(payment("cs_b", customer_id="cus_2")))
    await ledger.record(observed(payment("cs_c", customer_id="cus_1")))

    pages = await all_pages(ledger, PaymentQuery(customer_id="cus_1", page_size=1))

    assert [[each.checkout_session_id for each in page] for page in pages] == [["cs_a"], ["cs_c"]]


async def test_no_match_is_one_empty_last_page(ledger: PaymentLedger) -> None:
    await record_orders(ledger, 2)

    page = await ledger.list_payments(PaymentQuery(customer_id="cus_nobody"))

    assert (list(page.payments), page.next_page_token) == ([], "")


def invalid_field(error: pytest.ExceptionInfo[InvalidInput]) -> str:
    (violation,) = error.value.violations
    return violation.field


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "!!!!",
        base64.urlsafe_b64encode(b"short").decode(),
        base64.urlsafe_b64encode(b"\x00" * 17).decode(),
        "5",  # the in-memory fake's tokens are offsets
    ],
)
async def test_a_token_that_is_not_ours_is_invalid_input(ledger: PaymentLedger, token: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        await ledger.list_payments(PaymentQuery(client_reference_id="order-7", page_token=token))

    assert invalid_field(refused) == "page_token"


@pytest.mark.parametrize(
    "other",
    [
        PaymentQuery(client_reference_id="order-8", page_size=1),
        PaymentQuery(customer_id="order-7", page_size=1),  # same value, the other filter
    ],
)
async def test_a_token_from_another_query_is_invalid_input(
    ledger: PaymentLedger, other: PaymentQuery
) -> None:
    await record_orders(ledger, 3)
    first = await ledger.list_payments(PaymentQuery(client_reference_id="order-7", page_size=1))

    with pytest.raises(InvalidInput) as refused:
        await ledger.list_payments(
            PaymentQuery(
                client_reference_id=other.client_reference_id,
                customer_id=other.customer_id,
                page_token=first.next_page_token,
            )
        )

    assert invalid_field(refused) == "page_token"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (PaymentQuery(), "client_reference_id"),
        (PaymentQuery(client_reference_id="o", customer_id="c"), "client_reference_id"),
        (PaymentQuery(client_reference_id="o", page_size=0), "page_size"),
        (PaymentQuery(client_reference_id="o", page_size=101), "page_size"),
    ],
)
async def test_a_query_without_exactly_one_filter_or_a_page_size_out_of_range_is_invalid(
    ledger: PaymentLedger, query: PaymentQuery, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await ledger.list_payments(query)

    assert invalid_field(refused) == field
