"""GetPaymentStatus: where a payment stands, by the id of its checkout or of the payment."""

from __future__ import annotations

import asyncio

from domain.call import CallContext, Deadline
from domain.ledger import Payment, observation_of, snapshot_of
from domain.payment_status import PaymentSnapshot
from domain.ports import PaymentGateway, PaymentLedger


class GetPaymentStatus:
    """A payment the ledger knows in a final status is answered from the ledger alone: a final
    status never changes, so asking the provider could only cost a call of its rate limit.
    Anything else is read from the provider, and the answer recorded; concurrent calls for the
    same id share that one read.
    """

    def __init__(self, gateway: PaymentGateway, ledger: PaymentLedger) -> None:
        self._gateway = gateway
        self._ledger = ledger
        self._reads: dict[str, asyncio.Task[PaymentSnapshot]] = {}

    async def __call__(self, payment_id: str, call: CallContext) -> PaymentSnapshot:
        call.deadline.check()
        kept = await self._ledger.payment(payment_id)
        if kept is not None and kept.status.is_final:
            return snapshot_of(kept, payment_id)
        read = self._reads.get(payment_id)
        if read is None:
            read = asyncio.ensure_future(self._read_and_record(payment_id, kept, call.deadline))
            self._reads[payment_id] = read
            read.add_done_callback(lambda done: self._forget(payment_id, done))
        # Shielded: a caller that gives up (deadline, cancel) leaves the read to the others.
        return await asyncio.shield(read)

    def _forget(self, payment_id: str, read: asyncio.Task[PaymentSnapshot]) -> None:
        if self._reads.get(payment_id) is read:
            del self._reads[payment_id]
        if not read.cancelled():
            read.exception()  # retrieved here too: every caller may have given up on it

    async def _read_and_record(
        self, payment_id: str, kept: Payment | None, deadline: Deadline
    ) -> PaymentSnapshot:
        snapshot = await self._gateway.get_payment(payment_id, deadline)
        observation = observation_of(snapshot)
        # Recorded when it is news: a payment the ledger lacks, or a status further along. An
        # open checkout asked about again costs no write (the fields it may lack come with the
        # event that moves it).
        if observation is not None and (
            kept is None or observation.payment.status.progress > kept.status.progress
        ):
            await self._ledger.record(observation)
        return snapshot
