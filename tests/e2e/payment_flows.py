"""What can become of a checkout, step by step, and the final status each flow must leave in
the ledger. Each step makes Stripe (the emulator) emit exactly one event of the kinds the ledger
uses, so a test can aim a delivery fault at one step's event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from payments.v1 import payments_pb2
from tests.e2e.events_stack import AUTH, Shop


@dataclass
class Order:
    """One checkout of the shop, under the caller's order id."""

    order_id: str
    session_id: str
    intent_id: str | None = None
    """Known once the customer paid (or tried to)."""

    @classmethod
    async def open(cls, shop: Shop, order_id: str) -> Order:
        return cls(order_id, (await shop.open_checkout(order_id)).checkout_session_id)


Step = Callable[[Shop, Order], Awaitable[None]]


async def pay_by_card(shop: Shop, order: Order) -> None:
    await shop.emulator.pay(order.session_id)


async def pay_by_bank_debit(shop: Shop, order: Order) -> None:
    """A delayed method: the checkout completes unpaid, the bank answers later."""
    session = await shop.emulator.pay(order.session_id, outcome="processing")
    order.intent_id = session["payment_intent"]["id"]


async def bank_pays(shop: Shop, order: Order) -> None:
    assert order.intent_id is not None
    await shop.emulator.settle(order.intent_id, "succeeded")


async def bank_refuses(shop: Shop, order: Order) -> None:
    assert order.intent_id is not None
    await shop.emulator.settle(order.intent_id, "failed")


async def stripe_expires(shop: Shop, order: Order) -> None:
    """The page's time ran out (the emulator's clock, as Stripe's)."""
    await shop.emulator.expire(order.session_id)


async def caller_expires(shop: Shop, order: Order) -> None:
    """The caller cancelled the order: the ExpireCheckout RPC."""
    request = payments_pb2.ExpireCheckoutRequest(checkout_session_id=order.session_id)
    await shop.stub.ExpireCheckout(request, metadata=AUTH, timeout=10)


@dataclass(frozen=True)
class Flow:
    name: str
    steps: tuple[Step, ...]
    status: payments_pb2.PaymentStatus.ValueType
    """The final status the ledger must hold."""
    events: tuple[str, ...]
    """The types of the events the flow's steps emit, in order."""


COMPLETED = "checkout.session.completed"
FLOWS = (
    Flow("paid", (pay_by_card,), payments_pb2.PAYMENT_STATUS_SUCCEEDED, (COMPLETED,)),
    Flow(
        "paid-later",
        (pay_by_bank_debit, bank_pays),
        payments_pb2.PAYMENT_STATUS_SUCCEEDED,
        (COMPLETED, "checkout.session.async_payment_succeeded"),
    ),
    Flow(
        "failed-later",
        (pay_by_bank_debit, bank_refuses),
        payments_pb2.PAYMENT_STATUS_FAILED,
        (COMPLETED, "checkout.session.async_payment_failed"),
    ),
    Flow(
        "expired",
        (stripe_expires,),
        payments_pb2.PAYMENT_STATUS_EXPIRED,
        ("checkout.session.expired",),
    ),
    Flow(
        "expired-by-caller",
        (caller_expires,),
        payments_pb2.PAYMENT_STATUS_EXPIRED,
        ("checkout.session.expired",),
    ),
)
FLOW_NAMED = {flow.name: flow for flow in FLOWS}
