"""GetPaymentStatus: where a payment stands, by session or intent id."""

from __future__ import annotations

from domain.call import CallContext
from domain.payment_status import PaymentRef, PaymentRefKind, PaymentReport, normalize
from domain.ports import PaymentGateway


class GetPaymentStatus:
    """Reads the session or intent the id names and normalizes its state."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def __call__(self, payment_id: str, call: CallContext) -> PaymentReport:
        ref = PaymentRef.parse(payment_id)
        call.ensure_time_left()
        if ref.kind is PaymentRefKind.CHECKOUT_SESSION:
            snapshot = await self._gateway.get_checkout_session(ref.id, call.deadline)
        else:
            snapshot = await self._gateway.get_payment_intent(ref.id, call.deadline)
        return normalize(snapshot)
