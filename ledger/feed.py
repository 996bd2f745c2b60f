"""The payment-event feed's statements: a row appended from the payment it tells of, a page of
rows after a cursor, and the rows back as domain.ledger.PaymentEvent."""

from __future__ import annotations

from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    RowMapping,
    Select,
    bindparam,
    func,
    insert,
    select,
    true,
)

from domain.errors import InvalidInput, Violation
from domain.ledger import FEED_STATUSES, MAX_EVENT_PAGE_SIZE, PaymentEvent, PaymentEventQuery
from ledger import cursors
from ledger.rows import PAYMENT_COLUMNS, payment_of
from ledger.schema import UtcDateTime, ledger_state, payment_events, payments

PRUNED_THROUGH = "payment_events_pruned_through"
"""ledger_state's key for the sequence number of the last event prune() deleted."""


def appending(turn: CTE | None = None) -> Insert:
    """Appends the payment named (`checkout_session_id`), as it stands in this transaction
    (fields filled in included), `recorded_at`. With `turn`: joined to its one row, which is
    made before the row to append, and so before the row's sequence number."""
    source = payments if turn is None else payments.join(turn, true())
    return insert(payment_events).from_select(
        [*(column.name for column in PAYMENT_COLUMNS), "recorded_at"],
        select(*PAYMENT_COLUMNS, bindparam("recorded_at", type_=UtcDateTime()))
        .select_from(source)
        .where(payments.c.checkout_session_id == bindparam("checkout_session_id")),
    )


_EVENT_COLUMNS = (
    payment_events.c.seq,
    payment_events.c.recorded_at,
    *(payment_events.c[column.name] for column in PAYMENT_COLUMNS),
)

READ_PRUNED_THROUGH = select(ledger_state.c.value).where(ledger_state.c.key == PRUNED_THROUGH)
READ_NEWEST_SEQ = select(func.max(payment_events.c.seq))


def page(query: PaymentEventQuery) -> tuple[int, Select[tuple[object, ...]]]:
    """The sequence number the query reads after, and its statement (one row more than the
    limit: whether more follow). Raises InvalidInput."""
    after = cursors.decode(query.after_cursor)
    _check(query)
    conditions: list[ColumnElement[bool]] = [payment_events.c.seq > after]
    if query.client_reference_id:
        conditions.append(payment_events.c.client_reference_id == query.client_reference_id)
    if query.customer_id:
        conditions.append(payment_events.c.customer_id == query.customer_id)
    if query.statuses:
        conditions.append(payment_events.c.status.in_(sorted(s.name for s in query.statuses)))
    statement = (
        select(*_EVENT_COLUMNS)
        .where(*conditions)
        .order_by(payment_events.c.seq)
        .limit(query.limit + 1)
    )
    return after, statement


def _check(query: PaymentEventQuery) -> None:
    violations = []
    if not 1 <= query.limit <= MAX_EVENT_PAGE_SIZE:
        violations.append(Violation("limit", f"must be from 1 to {MAX_EVENT_PAGE_SIZE}"))
    if not query.statuses <= FEED_STATUSES:
        listed = ", ".join(sorted(status.name for status in FEED_STATUSES))
        violations.append(Violation("statuses", f"the feed has events of {listed} only"))
    if violations:
        raise InvalidInput(violations)


def event_of(fields: RowMapping) -> PaymentEvent:
    return PaymentEvent(cursors.encode(fields["seq"]), payment_of(fields), fields["recorded_at"])
