"""Payment status: the domain's own model of where a payment stands.

The provider's states are mapped onto it by the adapter; the domain keeps the provider's raw
words only to pass them on (`provider_status`), never to decide anything.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.money import Money


class PaymentStatus(enum.Enum):
    """The normalized state of a payment, as the object asked about (checkout or payment) sees
    it. The two views can differ: an expired checkout is EXPIRED while its payment is CANCELED,
    and during 3-D Secure the checkout is OPEN while its payment is REQUIRES_ACTION.
    UNSPECIFIED is a provider state this code does not know yet.
    """

    UNSPECIFIED = enum.auto()
    OPEN = enum.auto()
    PROCESSING = enum.auto()
    REQUIRES_ACTION = enum.auto()
    SUCCEEDED = enum.auto()
    EXPIRED = enum.auto()
    CANCELED = enum.auto()
    FAILED = enum.auto()
    """A delayed payment (a bank debit) that the bank refused after the checkout completed."""

    @property
    def is_final(self) -> bool:
        """A final status never changes again."""
        return self in FINAL_STATUSES

    @property
    def progress(self) -> int:
        """How far along a payment is: a status only ever moves to a higher progress, so a late
        report of an earlier state (webhooks arrive in any order) never overwrites a later one.
        The final statuses share the top: the first final status a payment reaches stays."""
        return _PROGRESS[self]


FINAL_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.EXPIRED, PaymentStatus.CANCELED, PaymentStatus.FAILED}
)
_PROGRESS = {
    PaymentStatus.UNSPECIFIED: 0,
    PaymentStatus.OPEN: 1,
    PaymentStatus.REQUIRES_ACTION: 2,
    PaymentStatus.PROCESSING: 3,
    **{status: 4 for status in FINAL_STATUSES},
}


class PaymentRefKind(enum.Enum):
    """Which object a payment id names: the hosted checkout, or the payment behind it."""

    CHECKOUT_SESSION = enum.auto()
    PAYMENT_INTENT = enum.auto()


@dataclass(frozen=True, slots=True)
class PaymentSnapshot:
    """A payment as read from the provider: its normalized status and what it is about.

    `provider_status` and `provider_payment_status` are the provider's own words for the state,
    passed on to callers for debugging.
    """

    id: str
    kind: PaymentRefKind
    status: PaymentStatus
    provider_status: str
    provider_payment_status: str
    checkout_session_id: str | None
    payment_intent_id: str | None
    customer_id: str | None
    total: Money | None
    client_reference_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
