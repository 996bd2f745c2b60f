"""ListPayments: the payments of one order or of one customer, from the ledger, page by page."""

from __future__ import annotations

from dataclasses import dataclass

from domain.call import CallContext
from domain.errors import InvalidInput, Violation
from domain.ledger import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PaymentPage, PaymentQuery
from domain.ports import PaymentLedger


@dataclass(frozen=True, slots=True)
class ListPaymentsCommand:
    """Exactly one of the two filters; page_size 0 means the default (AIP-158)."""

    client_reference_id: str = ""
    customer_id: str = ""
    page_size: int = 0
    page_token: str = ""


class ListPayments:
    """One page of the payments matching the filter, oldest first; never asks the provider.
    A page size over MAX_PAGE_SIZE is taken as MAX_PAGE_SIZE; a page token that is not the
    ledger's for this query is InvalidInput."""

    def __init__(self, ledger: PaymentLedger) -> None:
        self._ledger = ledger

    async def __call__(self, command: ListPaymentsCommand, call: CallContext) -> PaymentPage:
        call.deadline.check()
        return await self._ledger.list_payments(query_of(command))


def query_of(command: ListPaymentsCommand) -> PaymentQuery:
    """The ledger query of `command`; InvalidInput unless exactly one filter is set and the page
    size is not negative."""
    violations: list[Violation] = []
    if bool(command.client_reference_id) == bool(command.customer_id):
        violations += [
            Violation(name, "set exactly one of client_reference_id and customer_id")
            for name in ("client_reference_id", "customer_id")
        ]
    if command.page_size < 0:
        violations.append(Violation("page_size", "must not be negative"))
    if violations:
        raise InvalidInput(violations)
    return PaymentQuery(
        client_reference_id=command.client_reference_id or None,
        customer_id=command.customer_id or None,
        page_size=min(command.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        page_token=command.page_token,
    )
