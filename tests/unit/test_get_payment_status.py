"""GetPaymentStatus: a final status the ledger knows costs no provider call; anything else is
read from the provider once (shared by concurrent calls) and recorded. The mapping of the
provider's states is the adapter's (tests/adapter/test_payment_states.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.call import CallContext, Deadline
from domain.errors import DeadlineExceeded, InvalidInput, NotFound, ProviderUnavailable
from domain.ledger import Observation, Payment, Recorded
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from domain.use_cases import GetPaymentStatus
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

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
    client_reference_id="order-1",
    metadata={"k": "v"},
)
INTENT = replace(SESSION, id="pi_1", kind=PaymentRefKind.PAYMENT_INTENT, provider_payment_status="")
AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


def kept(status: PaymentStatus) -> Observation:
    payment = Payment(
        "cs_test_1", status, AT, payment_intent_id="pi_1", customer_id="cus_1",
        client_reference_id="order-1", provider_status="complete", provider_payment_status="paid",
    )  # fmt: skip
    return Observation(payment, AT, "evt_1")


@pytest.mark.parametrize("snapshot", [SESSION, INTENT])
async def test_unknown_to_the_ledger_the_provider_is_asked(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext, snapshot: PaymentSnapshot
) -> None:
    gateway.snapshots[snapshot.id] = snapshot

    assert await GetPaymentStatus(gateway, ledger)(snapshot.id, call) == snapshot
    assert gateway.calls == ["get_payment"]


async def test_a_checkout_read_from_the_provider_is_recorded(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    gateway.snapshots[SESSION.id] = SESSION

    await GetPaymentStatus(gateway, ledger)(SESSION.id, call)

    recorded = ledger.payments[SESSION.id]
    assert (recorded.status, recorded.client_reference_id) == (SESSION.status, "order-1")


async def test_a_read_of_the_payment_behind_it_is_not_recorded(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    gateway.snapshots[INTENT.id] = INTENT

    await GetPaymentStatus(gateway, ledger)(INTENT.id, call)

    assert ledger.payments == {}


@pytest.mark.parametrize(
    ("asked", "status", "answered"),
    [
        ("cs_test_1", PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED),
        ("pi_1", PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED),
        ("cs_test_1", PaymentStatus.FAILED, PaymentStatus.FAILED),
        ("cs_test_1", PaymentStatus.EXPIRED, PaymentStatus.EXPIRED),
        ("pi_1", PaymentStatus.EXPIRED, PaymentStatus.CANCELED),
    ],
)
async def test_a_final_status_in_the_ledger_costs_no_provider_call(
    gateway: FakeGateway,
    ledger: FakeLedger,
    call: CallContext,
    asked: str,
    status: PaymentStatus,
    answered: PaymentStatus,
) -> None:
    await ledger.record(kept(status))

    snapshot = await GetPaymentStatus(gateway, ledger)(asked, call)

    assert (snapshot.id, snapshot.status, snapshot.client_reference_id) == (
        asked, answered, "order-1",
    )  # fmt: skip
    assert gateway.calls == []


async def test_a_status_that_can_still_change_is_read_again(
    gateway: FakeGateway, ledger: FakeLedger, call: CallContext
) -> None:
    await ledger.record(kept(PaymentStatus.PROCESSING))
    gateway.snapshots[SESSION.id] = SESSION

    snapshot = await GetPaymentStatus(gateway, ledger)(SESSION.id, call)

    assert snapshot.status is PaymentStatus.SUCCEEDED
    assert gateway.calls == ["get_payment"]
    assert ledger.payments[SESSION.id].status is PaymentStatus.SUCCEEDED


class CountingLedger(FakeLedger):
    def __init__(self) -> None:
        super().__init__()
        self.records = 0

    async def record(self, observation: Observation) -> Recorded:
        self.records += 1
        return await super().record(observation)


async def test_asked_again_about_an_unchanged_checkout_nothing_is_written(
    gateway: FakeGateway, call: CallContext
) -> None:
    ledger = CountingLedger()
    gateway.snapshots[SESSION.id] = replace(SESSION, status=PaymentStatus.OPEN)
    use_case = GetPaymentStatus(gateway, ledger)

    for _ in range(3):
        assert (await use_case(SESSION.id, call)).status is PaymentStatus.OPEN

    assert (ledger.records, gateway.calls) == (1, ["get_payment"] * 3)


class HeldGateway(FakeGateway):
    """Answers get_payment only when released, counting the reads."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.failure: Exception | None = None

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        self.calls.append("get_payment")
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return self.snapshots[payment_id]


async def test_concurrent_calls_for_one_id_share_one_read(
    ledger: FakeLedger, call: CallContext
) -> None:
    gateway = HeldGateway()
    gateway.snapshots[SESSION.id] = SESSION
    use_case = GetPaymentStatus(gateway, ledger)

    calls = [asyncio.ensure_future(use_case(SESSION.id, call)) for _ in range(20)]
    await asyncio.sleep(0)  # every call reaches the shared read (one loop turn, no timing)
    gateway.release.set()

    assert await asyncio.gather(*calls) == [SESSION] * 20
    assert gateway.calls == ["get_payment"]


async def test_a_shared_read_that_fails_fails_every_call_and_is_not_kept(
    ledger: FakeLedger, call: CallContext
) -> None:
    gateway = HeldGateway()
    gateway.failure = ProviderUnavailable("down", retry_after_seconds=1)
    use_case = GetPaymentStatus(gateway, ledger)

    calls = [asyncio.ensure_future(use_case(SESSION.id, call)) for _ in range(3)]
    await asyncio.sleep(0)
    gateway.release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert all(isinstance(result, ProviderUnavailable) for result in results)
    gateway.failure, gateway.snapshots[SESSION.id] = None, SESSION
    assert await use_case(SESSION.id, call) == SESSION
    assert gateway.calls == ["get_payment", "get_payment"]


async def test_a_caller_giving_up_leaves_the_read_to_the_others(
    ledger: FakeLedger, call: CallContext
) -> None:
    gateway = HeldGateway()
    gateway.snapshots[SESSION.id] = SESSION
    use_case = GetPaymentStatus(gateway, ledger)
    leaving, staying = (asyncio.ensure_future(use_case(SESSION.id, call)) for _ in range(2))
    await asyncio.sleep(0)

    leaving.cancel()
    gateway.release.set()

    assert await staying == SESSION
    assert leaving.cancelled()


async def test_an_expired_deadline_asks_nothing(gateway: FakeGateway, ledger: FakeLedger) -> None:
    expired = CallContext("caller-a", Deadline.after(-1))

    with pytest.raises(DeadlineExceeded):
        await GetPaymentStatus(gateway, ledger)(SESSION.id, expired)
    assert gateway.calls == []


@pytest.mark.parametrize(
    ("payment_id", "error"),
    [("cs_test_nope", NotFound), ("pi_nope", NotFound), ("cus_1", InvalidInput)],
)
async def test_the_gateway_refusals_pass_through(
    gateway: FakeGateway,
    ledger: FakeLedger,
    call: CallContext,
    payment_id: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await GetPaymentStatus(gateway, ledger)(payment_id, call)
