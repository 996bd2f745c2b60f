"""The payment ledger's model: each payment as the service knows it, what the provider said
about it at one instant (an observation: one of its events, or a read of the payment), and the
feed of payment events the ledger keeps for other services (each status change, in ledger
order, by cursor)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.money import Money
from domain.payment_status import PaymentRefKind, PaymentSnapshot, PaymentStatus


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment: a hosted checkout and the payment behind it, keyed by the checkout's id.

    `status` is the payment's normalized status; `status_changed_at` the provider's time of the
    observation that set it. `provider_status` and `provider_payment_status` are the provider's
    own words for that state, passed on for debugging.
    """

    checkout_session_id: str
    status: PaymentStatus
    status_changed_at: datetime
    payment_intent_id: str | None = None
    customer_id: str | None = None
    total: Money | None = None
    client_reference_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    provider_status: str = ""
    provider_payment_status: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """What the provider said about a payment at `observed_at` (its own clock).

    `event_id` names the provider event it came from (recorded once, ever); None for a read of
    the payment (a call to the provider, or the checkout just created).
    """

    payment: Payment
    observed_at: datetime
    event_id: str | None = None


class Recorded(enum.Enum):
    """What recording an observation did."""

    CHANGED = enum.auto()
    """The payment is new, or its status moved forward."""
    UNCHANGED = enum.auto()
    """Known payment, status not moved (same, or behind the kept one); other fields filled in."""
    DUPLICATE = enum.auto()
    """The event was recorded before: nothing changed."""


@dataclass(frozen=True, slots=True)
class PaymentQuery:
    """A page of payments with exactly one of the two filters set (AIP-158 paging).

    `page_token` is empty for the first page, else a `next_page_token` of an earlier page of the
    same query.
    """

    client_reference_id: str | None = None
    customer_id: str | None = None
    page_size: int = 50
    page_token: str = ""


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """Payments in the order the ledger first recorded them; `next_page_token` is empty on the
    last page."""

    payments: Sequence[Payment]
    next_page_token: str = ""


MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

FEED_STATUSES = frozenset(
    {
        PaymentStatus.PROCESSING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.FAILED,
        PaymentStatus.EXPIRED,
        PaymentStatus.CANCELED,
    }
)
"""The statuses the feed tells of: a payment became one of them. OPEN is not among them: a
checkout just created is the caller's own doing (it has the answer of CreateCheckout), and an
order service waits for an outcome, not for a page to be opened."""


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """A payment became `payment.status` at `payment.status_changed_at` (the provider's time);
    the ledger recorded it at `recorded_at` (its own clock).

    `payment` is the payment as it stood right after the change. `cursor` is opaque and names
    the event's place in ledger order: cursors compare as strings in that order, and a
    PaymentEventQuery resumes after one.
    """

    cursor: str
    payment: Payment
    recorded_at: datetime

    @property
    def status(self) -> PaymentStatus:
        return self.payment.status


@dataclass(frozen=True, slots=True)
class PaymentEventQuery:
    """Events after `after_cursor` (empty: from the oldest event kept), in ledger order, that
    match every filter given: the payment's `client_reference_id`, its customer, and the status
    it became (any of `statuses`; empty: every status of FEED_STATUSES)."""

    after_cursor: str = ""
    client_reference_id: str | None = None
    customer_id: str | None = None
    statuses: frozenset[PaymentStatus] = frozenset()
    limit: int = 100

    def matches(self, event: PaymentEvent) -> bool:
        """Whether `event` passes every filter (the cursor and limit aside)."""
        payment = event.payment
        return (
            self.client_reference_id in (None, payment.client_reference_id)
            and self.customer_id in (None, payment.customer_id)
            and (not self.statuses or payment.status in self.statuses)
        )


@dataclass(frozen=True, slots=True)
class PaymentEventPage:
    """Up to `limit` events in ledger order. `next_cursor` is the cursor to resume after: the
    last event's, or the query's own when there is none. `more` is True when events matching
    the query follow this page already (read again at once), False when the feed has none yet
    (wait for a wake-up)."""

    events: Sequence[PaymentEvent]
    next_cursor: str
    more: bool


MAX_EVENT_PAGE_SIZE = 1000


def observation_of(snapshot: PaymentSnapshot) -> Observation | None:
    """A checkout as the provider just answered for it (read, created or expired), observed now
    by the service's clock, with no event id; None for a read of the payment behind a checkout
    (the ledger keeps checkouts, whose status can differ from it)."""
    if snapshot.kind is not PaymentRefKind.CHECKOUT_SESSION:
        return None
    now = datetime.now(UTC)
    payment = Payment(
        checkout_session_id=snapshot.id,
        status=snapshot.status,
        status_changed_at=now,
        payment_intent_id=snapshot.payment_intent_id,
        customer_id=snapshot.customer_id,
        total=snapshot.total,
        client_reference_id=snapshot.client_reference_id,
        metadata=snapshot.metadata,
        provider_status=snapshot.provider_status,
        provider_payment_status=snapshot.provider_payment_status,
    )
    return Observation(payment, observed_at=now)


def snapshot_of(payment: Payment, asked_id: str) -> PaymentSnapshot:
    """A kept payment as GetPaymentStatus answers it, by the id it was asked by.

    Asked by its payment's id, an expired checkout's payment is CANCELED (as the provider says of
    it), and the provider's words for the state are not given: they are the checkout's.
    """
    by_checkout = asked_id == payment.checkout_session_id
    status = payment.status
    if not by_checkout and status is PaymentStatus.EXPIRED:
        status = PaymentStatus.CANCELED
    return PaymentSnapshot(
        id=asked_id,
        kind=PaymentRefKind.CHECKOUT_SESSION if by_checkout else PaymentRefKind.PAYMENT_INTENT,
        status=status,
        provider_status=payment.provider_status if by_checkout else "",
        provider_payment_status=payment.provider_payment_status if by_checkout else "",
        checkout_session_id=payment.checkout_session_id,
        payment_intent_id=payment.payment_intent_id,
        customer_id=payment.customer_id,
        total=payment.total,
        client_reference_id=payment.client_reference_id,
        metadata=payment.metadata,
    )
