"""CreateCheckout: a hosted checkout page for one product and one customer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.call import CallContext, write_options
from domain.checkout import SOLD_PRODUCT_METADATA_KEY, CheckoutSession, NewCheckout
from domain.errors import ProductNotPurchasable
from domain.ledger import Observation, Payment
from domain.payment_status import PaymentStatus
from domain.ports import PaymentGateway, PaymentLedger


@dataclass(frozen=True, slots=True)
class CheckoutDefaults:
    """Where customers go after the page when the caller does not say."""

    success_url: str
    cancel_url: str


@dataclass(frozen=True, slots=True)
class CreateCheckoutCommand:
    product_id: str
    customer_id: str
    quantity: int = 0
    success_url: str = ""
    cancel_url: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    client_reference_id: str = ""
    expire_time: datetime | None = None
    """When the page stops taking payment; None: the provider's default."""


class CreateCheckout:
    """Opens a checkout page charging the product's default price `quantity` times (1 if unset).

    The checkout carries the caller's metadata and, under SOLD_PRODUCT_METADATA_KEY, the product
    sold, so that every payment names what it paid for. The new payment is recorded in the
    ledger as OPEN at once, so that ListPayments finds it before any provider event arrives.
    """

    OPERATION = "CreateCheckout"

    def __init__(
        self, gateway: PaymentGateway, defaults: CheckoutDefaults, ledger: PaymentLedger
    ) -> None:
        self._gateway = gateway
        self._defaults = defaults
        self._ledger = ledger

    async def __call__(self, command: CreateCheckoutCommand, call: CallContext) -> CheckoutSession:
        call.deadline.check()
        product = await self._gateway.get_product(command.product_id, call.deadline)
        if not product.active:
            raise ProductNotPurchasable(product.id, "it is archived")
        if product.price_id is None:
            raise ProductNotPurchasable(product.id, "it has no default price")
        new = NewCheckout(
            price_id=product.price_id,
            product_id=product.id,
            customer_id=command.customer_id,
            quantity=command.quantity or 1,
            success_url=command.success_url or self._defaults.success_url,
            cancel_url=command.cancel_url or self._defaults.cancel_url,
            metadata={**command.metadata, SOLD_PRODUCT_METADATA_KEY: product.id},
            client_reference_id=command.client_reference_id or None,
            expires_at=command.expire_time,
        )
        session = await self._gateway.create_checkout(new, write_options(call, self.OPERATION))
        # Should this write fail (LedgerUnavailable), the call fails although the page exists;
        # nothing is lost: the checkout's events (webhook or reconciliation) record the payment
        # later, and a retry with the same request_id gets the same checkout and records it.
        await self._ledger.record(_opened(new, session))
        return session


def _opened(new: NewCheckout, session: CheckoutSession) -> Observation:
    """The payment of a checkout just opened: OPEN, with what the service itself sent."""
    at = datetime.now(UTC)
    payment = Payment(
        checkout_session_id=session.id,
        status=PaymentStatus.OPEN,
        status_changed_at=at,
        customer_id=new.customer_id,
        total=session.total,
        client_reference_id=new.client_reference_id,
        metadata=dict(new.metadata),
    )
    return Observation(payment=payment, observed_at=at)
