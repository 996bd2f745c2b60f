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
from domain.ports import PaymentGateway, PaymentLedger, ProductCatalog
from domain.product import Product


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

    A product the catalog knows as for sale is sold as the catalog knows it: one provider
    request. The catalog is trusted to sell, never to refuse: a product it knows as archived or
    without a price, or does not know, is read first. Should the provider refuse what the
    catalog said (the price or the product was archived since), the product is forgotten and
    read afresh once: then sold at its current default price, or refused as not purchasable.
    """

    OPERATION = "CreateCheckout"

    def __init__(
        self,
        gateway: PaymentGateway,
        defaults: CheckoutDefaults,
        ledger: PaymentLedger,
        catalog: ProductCatalog,
    ) -> None:
        self._gateway = gateway
        self._defaults = defaults
        self._ledger = ledger
        self._catalog = catalog

    async def __call__(self, command: CreateCheckoutCommand, call: CallContext) -> CheckoutSession:
        call.deadline.check()
        known = self._catalog.known(command.product_id)
        trusted = known if known is not None and _why_not_for_sale(known) is None else None
        product = trusted or await self._read(command.product_id, call)
        try:
            new, session = await self._open(product, command, call)
        except ProductNotPurchasable as refused:
            if trusted is None:
                raise
            new, session = await self._open_afresh(trusted, refused, command, call)
        # Should this write fail (LedgerUnavailable), the call fails although the page exists;
        # nothing is lost: the checkout's events (webhook or reconciliation) record the payment
        # later, and a retry with the same request_id gets the same checkout and records it.
        await self._ledger.record(_opened(new, session))
        return session

    async def _read(self, product_id: str, call: CallContext) -> Product:
        product = await self._gateway.get_product(product_id, call.deadline)
        self._catalog.remember(product)
        return product

    async def _open_afresh(
        self,
        stale: Product,
        refused: ProductNotPurchasable,
        command: CreateCheckoutCommand,
        call: CallContext,
    ) -> tuple[NewCheckout, CheckoutSession]:
        """The provider refused what the catalog knew: try once more with the product as the
        provider has it now, unless it would be sold the same way (the refusal stands). The same
        request_id (idempotency key) is fine: a refused parameter is a validation failure, for
        which the provider keeps no result under the key."""
        self._catalog.forget(stale.id)
        fresh = await self._read(stale.id, call)
        if (fresh.active, fresh.price_id) == (stale.active, stale.price_id):
            raise refused
        return await self._open(fresh, command, call)

    async def _open(
        self, product: Product, command: CreateCheckoutCommand, call: CallContext
    ) -> tuple[NewCheckout, CheckoutSession]:
        why_not = _why_not_for_sale(product)
        if why_not is not None or product.price_id is None:  # the type checker needs the second
            raise ProductNotPurchasable(product.id, why_not or "it has no default price")
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
        return new, await self._gateway.create_checkout(new, write_options(call, self.OPERATION))


def _why_not_for_sale(product: Product) -> str | None:
    """Why a checkout cannot sell `product`, or None when it can."""
    if not product.active:
        return "it is archived"
    if product.price_id is None:
        return "it has no default price"
    return None


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
