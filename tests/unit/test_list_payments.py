"""ListPayments reads one page of the ledger: exactly one filter, AIP-158 page sizes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded, InvalidInput
from domain.ledger import Observation, Payment
from domain.payment_status import PaymentStatus
from domain.use_cases import ListPayments, ListPaymentsCommand
from domain.use_cases.list_payments import query_of
from tests.fake_ledger import FakeLedger

AT = datetime(2026, 1, 1, tzinfo=UTC)


async def holding(
    ledger: FakeLedger,
    count: int,
    *,
    client_reference_id: str | None = None,
    customer_id: str | None = None,
) -> list[str]:
    """`count` new payments in the ledger with these fields; their ids."""
    ids = [f"cs_test_{len(ledger.payments) + i}" for i in range(count)]
    for session_id in ids:
        payment = Payment(
            session_id,
            PaymentStatus.OPEN,
            AT,
            customer_id=customer_id,
            client_reference_id=client_reference_id,
        )
        await ledger.record(Observation(payment, AT))
    return ids


async def test_lists_the_payments_of_one_order(ledger: FakeLedger, call: CallContext) -> None:
    mine = await holding(ledger, 2, client_reference_id="order-1", customer_id="cus_1")
    await holding(ledger, 1, client_reference_id="order-2", customer_id="cus_1")

    page = await ListPayments(ledger)(ListPaymentsCommand(client_reference_id="order-1"), call)

    assert [p.checkout_session_id for p in page.payments] == mine
    assert page.next_page_token == ""


async def test_pages_through_the_payments_of_one_customer(
    ledger: FakeLedger, call: CallContext
) -> None:
    mine = await holding(ledger, 5, customer_id="cus_1")
    await holding(ledger, 1, customer_id="cus_2")
    seen: list[str] = []
    command = ListPaymentsCommand(customer_id="cus_1", page_size=2)

    while True:
        page = await ListPayments(ledger)(command, call)
        seen += [p.checkout_session_id for p in page.payments]
        if not page.next_page_token:
            break
        command = replace(command, page_token=page.next_page_token)

    assert seen == mine


@pytest.mark.parametrize(("asked", "used"), [(0, 50), (1, 1), (100, 100), (101, 100), (5000, 100)])
def test_page_size_zero_is_the_default_and_over_the_maximum_is_the_maximum(
    asked: int, used: int
) -> None:
    assert query_of(ListPaymentsCommand(customer_id="cus_1", page_size=asked)).page_size == used


@pytest.mark.parametrize(
    "command",
    [ListPaymentsCommand(), ListPaymentsCommand(client_reference_id="o", customer_id="cus_1")],
    ids=["neither", "both"],
)
def test_exactly_one_filter(command: ListPaymentsCommand) -> None:
    with pytest.raises(InvalidInput) as raised:
        query_of(command)
    assert {v.field for v in raised.value.violations} == {"client_reference_id", "customer_id"}


def test_a_negative_page_size_is_invalid() -> None:
    with pytest.raises(InvalidInput) as raised:
        query_of(ListPaymentsCommand(customer_id="cus_1", page_size=-1))
    assert [v.field for v in raised.value.violations] == ["page_size"]


async def test_a_bad_page_token_is_invalid_input(ledger: FakeLedger, call: CallContext) -> None:
    command = ListPaymentsCommand(customer_id="cus_1", page_token="not-a-token")

    with pytest.raises(InvalidInput) as raised:
        await ListPayments(ledger)(command, call)
    assert [v.field for v in raised.value.violations] == ["page_token"]


async def test_a_passed_deadline_reads_nothing(ledger: FakeLedger, call: CallContext) -> None:
    with pytest.raises(DeadlineExceeded):
        await ListPayments(ledger)(
            ListPaymentsCommand(customer_id="cus_1"), replace(call, deadline=Deadline(0))
        )
