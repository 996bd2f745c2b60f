"""ListPaymentEvents: the ledger's payment events after a cursor, page by page."""

from __future__ import annotations

from dataclasses import dataclass

from domain.call import CallContext
from domain.ledger import MAX_EVENT_PAGE_SIZE, PaymentEventPage, PaymentEventQuery
from domain.payment_status import PaymentStatus
from domain.ports import PaymentLedger

DEFAULT_EVENT_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ListPaymentEventsCommand:
    """Empty filters match everything; page_size 0 means the default."""

    after_cursor: str = ""
    client_reference_id: str = ""
    customer_id: str = ""
    statuses: frozenset[PaymentStatus] = frozenset()
    page_size: int = 0


def event_query(command: ListPaymentEventsCommand) -> PaymentEventQuery:
    """The ledger query of a command: a page size over MAX_EVENT_PAGE_SIZE is taken as that."""
    return PaymentEventQuery(
        after_cursor=command.after_cursor,
        client_reference_id=command.client_reference_id or None,
        customer_id=command.customer_id or None,
        statuses=command.statuses,
        limit=min(command.page_size or DEFAULT_EVENT_PAGE_SIZE, MAX_EVENT_PAGE_SIZE),
    )


class ListPaymentEvents:
    """One page of the feed after the cursor, in ledger order; never asks the provider. A cursor
    that is not the ledger's is InvalidInput, one older than it keeps is CursorExpired."""

    def __init__(self, ledger: PaymentLedger) -> None:
        self._ledger = ledger

    async def __call__(
        self, command: ListPaymentEventsCommand, call: CallContext
    ) -> PaymentEventPage:
        call.deadline.check()
        return await self._ledger.events(event_query(command))
