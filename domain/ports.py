"""The payment gateway port: what the use cases need from a payment provider."""

from __future__ import annotations

from typing import Protocol

from domain.call import Deadline, WriteOptions
from domain.checkout import CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.payment_status import PaymentSnapshot
from domain.product import NewProduct, Product


class PaymentGateway(Protocol):
    """A payment provider. Implementations raise only domain errors.

    Reads take the call's Deadline; writes take WriteOptions (which carry it).
    """

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        """Creates a customer. Raises RequestIdReused, RetryableError, …"""
        ...

    async def create_product(self, new: NewProduct, options: WriteOptions) -> Product:
        """Creates a product with its default price in one step.

        Raises ExternalProductIdTaken when another product has `new.external_product_id`.
        """
        ...

    async def get_product(self, product_id: str, deadline: Deadline) -> Product:
        """Raises NotFound("product", …) when there is none."""
        ...

    async def get_product_by_external_id(
        self, external_product_id: str, deadline: Deadline
    ) -> Product:
        """Raises NotFound("product", …) when no product has that external id."""
        ...

    async def create_checkout(self, new: NewCheckout, options: WriteOptions) -> CheckoutSession:
        """Opens a hosted checkout page. Raises NotFound("customer", …) for an unknown customer,
        ProductNotPurchasable when the provider no longer has the price."""
        ...

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        """A payment by the id of its checkout or of the payment itself. Raises InvalidInput for
        an id of neither kind, NotFound("checkout_session" | "payment_intent", …) for none."""
        ...
