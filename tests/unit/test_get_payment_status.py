from __future__ import annotations

from dataclasses import replace

import pytest

from domain.call import CallContext
from domain.errors import InvalidInput, NotFound
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.use_cases import GetPaymentStatus
from tests.unit.fake_gateway import FakeGateway

SESSION = PaymentSnapshot(
    id="cs_test_1",
    kind=PaymentRefKind.CHECKOUT_SESSION,
    provider_status="open",
    provider_payment_status="unpaid",
    checkout_session_id="cs_test_1",
    payment_intent_id=None,
    customer_id="cus_1",
    total=None,
)
INTENT = replace(SESSION, id="pi_1", kind=PaymentRefKind.PAYMENT_INTENT, provider_payment_status="")


@pytest.mark.parametrize(
    ("status", "payment_status", "expected"),
    [
        ("open", "unpaid", PaymentStatus.OPEN),
        ("complete", "paid", PaymentStatus.SUCCEEDED),
        ("complete", "no_payment_required", PaymentStatus.SUCCEEDED),
        ("complete", "unpaid", PaymentStatus.PROCESSING),
        ("expired", "unpaid", PaymentStatus.EXPIRED),
        ("brand_new_state", "unpaid", PaymentStatus.UNSPECIFIED),
    ],
)
async def test_session_states(
    gateway: FakeGateway,
    call: CallContext,
    status: str,
    payment_status: str,
    expected: PaymentStatus,
) -> None:
    gateway.snapshots[SESSION.id] = replace(
        SESSION, provider_status=status, provider_payment_status=payment_status
    )

    report = await GetPaymentStatus(gateway)(SESSION.id, call)

    assert report.status is expected
    assert report.snapshot.provider_status == status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("requires_payment_method", PaymentStatus.OPEN),
        ("requires_confirmation", PaymentStatus.OPEN),
        ("requires_action", PaymentStatus.REQUIRES_ACTION),
        ("processing", PaymentStatus.PROCESSING),
        ("requires_capture", PaymentStatus.PROCESSING),
        ("succeeded", PaymentStatus.SUCCEEDED),
        ("canceled", PaymentStatus.CANCELED),
    ],
)
async def test_intent_states(
    gateway: FakeGateway, call: CallContext, status: str, expected: PaymentStatus
) -> None:
    gateway.snapshots[INTENT.id] = replace(INTENT, provider_status=status)

    report = await GetPaymentStatus(gateway)(INTENT.id, call)

    assert report.status is expected
    assert gateway.calls == ["get_payment_intent"]


@pytest.mark.parametrize("payment_id", ["", "cus_1", "cs_", "pi_bad id", "xx_1"])
async def test_id_of_neither_kind_is_invalid(
    gateway: FakeGateway, call: CallContext, payment_id: str
) -> None:
    with pytest.raises(InvalidInput):
        await GetPaymentStatus(gateway)(payment_id, call)
    assert gateway.calls == []


@pytest.mark.parametrize(
    ("payment_id", "kind"),
    [("cs_test_nope", "checkout_session"), ("pi_nope", "payment_intent")],
)
async def test_unknown_id_is_not_found(
    gateway: FakeGateway, call: CallContext, payment_id: str, kind: str
) -> None:
    with pytest.raises(NotFound) as raised:
        await GetPaymentStatus(gateway)(payment_id, call)
    assert raised.value.kind == kind
