"""ExpireCheckout: the caller cancelled the order, so its checkout page stops taking payment."""

from __future__ import annotations

from domain.call import CallContext, write_options
from domain.ledger import Payment, observation_of
from domain.ports import PaymentGateway, PaymentLedger


class ExpireCheckout:
    """Expires an open checkout at the provider and records the payment, now EXPIRED, in the
    ledger. Raises CheckoutNotOpen when it is paid or expired already, NotFound when there is
    no such checkout; a retry with the same request_id answers as the first call did."""

    OPERATION = "ExpireCheckout"

    def __init__(self, gateway: PaymentGateway, ledger: PaymentLedger) -> None:
        self._gateway = gateway
        self._ledger = ledger

    async def __call__(self, checkout_session_id: str, call: CallContext) -> Payment:
        call.deadline.check()
        snapshot = await self._gateway.expire_checkout(
            checkout_session_id, write_options(call, self.OPERATION)
        )
        observation = observation_of(snapshot)
        if observation is None:
            raise TypeError("the gateway answered an expired checkout with another object")
        # If this write fails the checkout is expired all the same: the provider's expiry event
        # (webhook or reconciliation) records it later, and a retry with the same request_id
        # answers from the provider again.
        await self._ledger.record(observation)
        # The ledger's view: what it knew before (the order id, say) merged with this answer.
        return await self._ledger.payment(checkout_session_id) or observation.payment
