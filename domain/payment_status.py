"""Payment status: one normalized view over the provider's session and intent states."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.errors import InvalidInput, Violation
from domain.money import Money


class PaymentStatus(enum.Enum):
    """The normalized state of a payment, as the object asked about (session or intent) sees it.

    The two views can differ: an expired session is EXPIRED while its intent is CANCELED, and
    during 3-D Secure the session is OPEN while its intent is REQUIRES_ACTION. UNSPECIFIED is
    a provider state this code does not know (see `normalize`).
    """

    UNSPECIFIED = "unspecified"
    OPEN = "open"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    EXPIRED = "expired"
    CANCELED = "canceled"


class PaymentRefKind(enum.Enum):
    """Which provider object a payment id names."""

    CHECKOUT_SESSION = "checkout_session"
    PAYMENT_INTENT = "payment_intent"


_REF = re.compile(r"^(cs|pi)_[A-Za-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class PaymentRef:
    """A checked payment id: a Checkout Session (`cs_…`) or a PaymentIntent (`pi_…`)."""

    id: str
    kind: PaymentRefKind

    @classmethod
    def parse(cls, payment_id: str) -> PaymentRef:
        match = _REF.match(payment_id)
        if not match:
            raise InvalidInput(
                [
                    Violation(
                        "id", "must be a Checkout Session id (cs_…) or a PaymentIntent id (pi_…)"
                    )
                ]
            )
        kind = (
            PaymentRefKind.CHECKOUT_SESSION if match[1] == "cs" else PaymentRefKind.PAYMENT_INTENT
        )
        return cls(id=payment_id, kind=kind)


@dataclass(frozen=True, slots=True)
class PaymentSnapshot:
    """The provider's raw view of a payment, as read from a session or an intent."""

    id: str
    kind: PaymentRefKind
    provider_status: str
    provider_payment_status: str
    checkout_session_id: str | None
    payment_intent_id: str | None
    customer_id: str | None
    total: Money | None


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """A payment's normalized status with the raw snapshot it came from."""

    status: PaymentStatus
    snapshot: PaymentSnapshot


_SESSION_STATES: dict[tuple[str, str], PaymentStatus] = {
    ("open", "unpaid"): PaymentStatus.OPEN,
    ("open", "no_payment_required"): PaymentStatus.OPEN,
    ("complete", "paid"): PaymentStatus.SUCCEEDED,
    ("complete", "no_payment_required"): PaymentStatus.SUCCEEDED,
    ("complete", "unpaid"): PaymentStatus.PROCESSING,
    ("expired", "unpaid"): PaymentStatus.EXPIRED,
    ("expired", "no_payment_required"): PaymentStatus.EXPIRED,
}

_INTENT_STATES: dict[str, PaymentStatus] = {
    "requires_payment_method": PaymentStatus.OPEN,
    "requires_confirmation": PaymentStatus.OPEN,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}


def normalize(snapshot: PaymentSnapshot) -> PaymentReport:
    """Maps the provider's states onto PaymentStatus.

    A state this code does not know yet (the provider added one) is UNSPECIFIED rather than an
    error: the raw strings still reach the caller.
    """
    if snapshot.kind is PaymentRefKind.CHECKOUT_SESSION:
        key = (snapshot.provider_status, snapshot.provider_payment_status)
        status = _SESSION_STATES.get(key, PaymentStatus.UNSPECIFIED)
        if snapshot.provider_status == "expired":
            status = PaymentStatus.EXPIRED
    else:
        status = _INTENT_STATES.get(snapshot.provider_status, PaymentStatus.UNSPECIFIED)
    return PaymentReport(status=status, snapshot=snapshot)
