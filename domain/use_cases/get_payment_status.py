"""GetPaymentStatus: where a payment stands, by the id of its checkout or of the payment."""

from __future__ import annotations

from domain.call import CallContext
from domain.payment_status import PaymentSnapshot
from domain.ports import PaymentGateway


class GetPaymentStatus:
    """Reads the payment the id names, with its normalized status."""

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def __call__(self, payment_id: str, call: CallContext) -> PaymentSnapshot:
        call.deadline.check()
        return await self._gateway.get_payment(payment_id, call.deadline)
