"""GetPaymentStatus asks the gateway once, by either id; the mapping of the provider's states is
the adapter's (tests/adapter/test_payment_states.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded, InvalidInput, NotFound
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.use_cases import GetPaymentStatus
from tests.fake_gateway import FakeGateway

SESSION = PaymentSnapshot(
    id="cs_test_1",
    kind=PaymentRefKind.CHECKOUT_SESSION,
    status=PaymentStatus.SUCCEEDED,
    provider_status="complete",
    provider_payment_status="paid",
    checkout_session_id="cs_test_1",
    payment_intent_id="pi_1",
    customer_id="cus_1",
    total=None,
)
INTENT = replace(SESSION, id="pi_1", kind=PaymentRefKind.PAYMENT_INTENT, provider_payment_status="")


@pytest.mark.parametrize("snapshot", [SESSION, INTENT])
async def test_the_payment_as_the_gateway_reads_it(
    gateway: FakeGateway, call: CallContext, snapshot: PaymentSnapshot
) -> None:
    gateway.snapshots[snapshot.id] = snapshot

    assert await GetPaymentStatus(gateway)(snapshot.id, call) == snapshot
    assert gateway.calls == ["get_payment"]


async def test_an_expired_deadline_asks_nothing(gateway: FakeGateway) -> None:
    expired = CallContext("caller-a", Deadline.after(-1))

    with pytest.raises(DeadlineExceeded):
        await GetPaymentStatus(gateway)(SESSION.id, expired)
    assert gateway.calls == []


@pytest.mark.parametrize(
    ("payment_id", "error"),
    [("cs_test_nope", NotFound), ("pi_nope", NotFound), ("cus_1", InvalidInput)],
)
async def test_the_gateway_refusals_pass_through(
    gateway: FakeGateway, call: CallContext, payment_id: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await GetPaymentStatus(gateway)(payment_id, call)
