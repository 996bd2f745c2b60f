"""FakeGateway with the port's `expire_checkout`, for the ExpireCheckout tests: an open checkout
expires (its payment intent, if any, is canceled), anything else is CheckoutNotOpen; writes
replay by idempotency key like the real provider."""

from __future__ import annotations

from dataclasses import replace

from domain.call import WriteOptions
from domain.errors import CheckoutNotOpen, NotFound
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus
from tests.fake_gateway import FakeGateway


class ExpiringGateway(FakeGateway):
    async def expire_checkout(
        self, checkout_session_id: str, options: WriteOptions
    ) -> PaymentSnapshot:
        self.calls.append("expire_checkout")
        if (replayed := self._replay(options, checkout_session_id)) is not None:
            assert isinstance(replayed, PaymentSnapshot)
            return replayed
        session = self.snapshots.get(checkout_session_id)
        if session is None or session.kind is not PaymentRefKind.CHECKOUT_SESSION:
            raise NotFound("checkout_session", checkout_session_id)
        if session.status is not PaymentStatus.OPEN:
            raise CheckoutNotOpen(checkout_session_id, f"it is {session.provider_status}")
        expired = replace(session, status=PaymentStatus.EXPIRED, provider_status="expired")
        self.snapshots[checkout_session_id] = expired
        self._remember(options, checkout_session_id, expired)
        return expired
