"""StripePaymentGateway: the PaymentGateway port over Stripe's API.

Each method says what Stripe's refusals mean for its own request (a missing `customer` in a
checkout, an id already taken by a product create); the runner handles what means the same for
every request (credentials, conflicts, outages, rate limits, the deadline).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote_plus

import stripe
from stripe.params import CustomerCreateParams, ProductCreateParams
from stripe.params.checkout import SessionCreateParams

from domain.call import Deadline, WriteOptions
from domain.checkout import CLIENT_REFERENCE_ID_METADATA_KEY, CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.errors import (
    CheckoutNotOpen,
    ExternalProductIdTaken,
    InvalidInput,
    NotFound,
    NotFoundKind,
    ProductNotPurchasable,
    ProviderContext,
    Violation,
)
from domain.payment_status import PaymentSnapshot
from domain.product import EXTERNAL_ID_METADATA_KEY, NewProduct, Product
from stripe_adapter import translate
from stripe_adapter.client import StripeConnection
from stripe_adapter.errors import blamed, is_missing, provider_context, rejected
from stripe_adapter.observed import StripeObserver
from stripe_adapter.product_ids import product_id_for
from stripe_adapter.reads import INTENT_PATH, SESSION_PATH, JsonReader
from stripe_adapter.runner import StripeRunner
from stripe_adapter.settings import StripeSettings

_PRICE_EXPAND = ["default_price"]
_PRODUCT_PATH = "/v1/products/{}"
# A payment id names a Checkout Session or a PaymentIntent: (path, NotFound kind, snapshot).
_PAYMENT_OBJECTS: dict[
    str, tuple[str, NotFoundKind, Callable[[translate.Json], PaymentSnapshot]]
] = {
    "cs_": (SESSION_PATH, "checkout_session", translate.session_snapshot),
    "pi_": (INTENT_PATH, "payment_intent", translate.intent_snapshot),
}
# Stripe's checkout params the caller chose, by the contract's field names, with what Stripe
# allows (None: Stripe's own message says it).
_CHECKOUT_FIELDS: dict[str, tuple[str, str | None]] = {
    "expires_at": ("expire_time", "must be 30 minutes to 24 hours after the checkout is created"),
    "client_reference_id": ("client_reference_id", None),
    "metadata": ("metadata", None),  # the keys the service adds may take it over Stripe's 50
}
# Stripe refuses to expire a session that is not open: "Only Checkout Sessions with a status in
# ["open"] can be expired. This Checkout Session has a status of `complete`." (the emulator
# words it differently, with the same "can be expired" and the status).
_NOT_EXPIRABLE = re.compile(r"can be expired", re.IGNORECASE)
_SESSION_STATUS = re.compile(r"(?:status of `|Checkout Session is )(\w+)")


class StripePaymentGateway:
    """Implements domain.ports.PaymentGateway; raises only domain errors.

    Build one per process with `StripePaymentGateway.from_settings(...)` and `await aclose()` it
    at shutdown. Every request honours the caller's deadline (see `runner.StripeRunner`).
    """

    def __init__(self, connection: StripeConnection, runner: StripeRunner) -> None:
        self._connection = connection
        self._v1 = connection.client.v1
        self._runner = runner
        self._reads = JsonReader(connection.client, runner)

    @classmethod
    def from_settings(
        cls, settings: StripeSettings, observer: StripeObserver | None = None
    ) -> StripePaymentGateway:
        return cls(StripeConnection(settings, observer), StripeRunner(settings, observer=observer))

    @property
    def connection(self) -> StripeConnection:
        """Its Stripe connection, for the events adapter to share (`aclose` closes it)."""
        return self._connection

    async def aclose(self) -> None:
        await self._connection.aclose()

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        params: CustomerCreateParams = {"email": new.email}
        if new.name:
            params["name"] = new.name
        if new.metadata:
            params["metadata"] = dict(new.metadata)

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.customers.create_async(params=params, options=request)

        try:
            created = await self._runner.write(send, options)
        except stripe.InvalidRequestError as exc:
            raise rejected(exc) from exc
        return translate.customer(created.to_dict())

    async def create_product(self, new: NewProduct, options: WriteOptions) -> Product:
        """One call creates the product and its default price, under a derived id.

        The id comes from `product_id_for(external_product_id)`, so Stripe refuses a second
        product for the same external id atomically (see `product_ids`). A retry with the same
        idempotency key replays the first response rather than failing as a duplicate.
        """
        product_id = product_id_for(new.external_product_id)
        params: ProductCreateParams = {
            "id": product_id,
            "name": new.name,
            "metadata": {**new.metadata, EXTERNAL_ID_METADATA_KEY: new.external_product_id},
            "default_price_data": {"currency": new.price.currency, "unit_amount": new.price.amount},
            "expand": _PRICE_EXPAND,
        }
        if new.description:  # Stripe rejects an empty description
            params["description"] = new.description

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.products.create_async(params=params, options=request)

        try:
            created = await self._runner.write(send, options)
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_already_exists":
                raise ExternalProductIdTaken(
                    new.external_product_id, product_id, provider=provider_context(exc)
                ) from exc
            raise rejected(exc) from exc
        return translate.product(created.to_dict())

    async def get_product(self, product_id: str, deadline: Deadline) -> Product:
        try:
            data = await self._retrieve_product(product_id, deadline)
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                raise NotFound("product", product_id, provider=provider_context(exc)) from exc
            raise rejected(exc) from exc
        return translate.product(data)

    async def get_product_by_external_id(
        self, external_product_id: str, deadline: Deadline
    ) -> Product:
        """A strongly consistent retrieve of the derived id, not an (eventually consistent) search.

        Only products created through this service are found: one created elsewhere with the
        metadata key set by hand has a random id.
        """
        try:
            data = await self._retrieve_product(product_id_for(external_product_id), deadline)
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                raise _no_external_id(external_product_id, provider_context(exc)) from exc
            raise rejected(exc) from exc
        if translate.external_product_id(data) != external_product_id:
            raise _no_external_id(external_product_id, ProviderContext())
        return translate.product(data)

    async def create_checkout(self, new: NewCheckout, options: WriteOptions) -> CheckoutSession:
        """The checkout's metadata and its client_reference_id go onto its PaymentIntent too
        (Stripe does not copy a session's metadata there), so every event of the payment, the
        intent's included, names the order."""
        params: SessionCreateParams = {
            "mode": "payment",
            "customer": new.customer_id,
            "line_items": [{"price": new.price_id, "quantity": new.quantity}],
            "success_url": new.success_url,
            "cancel_url": new.cancel_url,
            "metadata": dict(new.metadata),
            "payment_intent_data": {"metadata": _intent_metadata(new)},
        }
        if new.client_reference_id:
            params["client_reference_id"] = new.client_reference_id
        if new.expires_at is not None:
            params["expires_at"] = int(new.expires_at.timestamp())

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.checkout.sessions.create_async(params=params, options=request)

        try:
            created = await self._runner.write(send, options)
        except stripe.InvalidRequestError as exc:
            raise _checkout_refused(exc, new) from exc
        return translate.checkout_session(created.to_dict())

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        found = _PAYMENT_OBJECTS.get(payment_id[:3])
        if found is None:
            raise InvalidInput(
                [Violation("id", "must be a Checkout Session id (cs_…) or a PaymentIntent id")]
            )
        path, kind, snapshot = found
        try:
            data = await self._reads.get(path.format(quote_plus(payment_id)), {}, deadline)
        except stripe.InvalidRequestError as exc:
            if is_missing(exc):
                raise NotFound(kind, payment_id, provider=provider_context(exc)) from exc
            raise rejected(exc) from exc
        return snapshot(data)

    async def expire_checkout(
        self, checkout_session_id: str, options: WriteOptions
    ) -> PaymentSnapshot:
        if not checkout_session_id.startswith("cs_"):
            raise InvalidInput(
                [Violation("checkout_session_id", "must be a Checkout Session id (cs_…)")]
            )

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.checkout.sessions.expire_async(
                checkout_session_id, options=request
            )

        try:
            expired = await self._runner.write(send, options)
        except stripe.InvalidRequestError as exc:
            raise _expire_refused(exc, checkout_session_id) from exc
        return translate.session_snapshot(expired.to_dict())

    async def _retrieve_product(self, product_id: str, deadline: Deadline) -> translate.Json:
        path = _PRODUCT_PATH.format(quote_plus(product_id))
        return await self._reads.get(path, {"expand": _PRICE_EXPAND}, deadline)


def _intent_metadata(new: NewCheckout) -> dict[str, str]:
    """The checkout's metadata and, under its key, the client_reference_id: only the
    checkout's, so a caller's own value under that key never poses as one."""
    kept = {k: v for k, v in new.metadata.items() if k != CLIENT_REFERENCE_ID_METADATA_KEY}
    if new.client_reference_id:
        kept[CLIENT_REFERENCE_ID_METADATA_KEY] = new.client_reference_id
    return kept


def _checkout_refused(exc: stripe.InvalidRequestError, new: NewCheckout) -> Exception:
    """A missing customer is the caller's unknown customer; a price Stripe no longer has, or
    refuses (an archived price, a price of an archived product: "The price specified is
    inactive…", "Price `…` is not available to be purchased because its product is not
    active."), means the product cannot be sold as the service knew it."""
    provider = provider_context(exc)
    if is_missing(exc, "customer"):
        return NotFound("customer", new.customer_id, provider=provider)
    if is_missing(exc, "price"):
        return ProductNotPurchasable(
            new.product_id, "its default price no longer exists", provider=provider
        )
    if blamed(exc.param) == "price":
        return ProductNotPurchasable(
            new.product_id,
            f"Stripe refuses its price: {exc.user_message}",
            provider=replace(provider, param=exc.param),
        )
    if (chosen := _CHECKOUT_FIELDS.get(blamed(exc.param))) is not None:
        field, allowed = chosen
        description = allowed or f"refused by Stripe: {exc.user_message}"
        return InvalidInput([Violation(field, description)], provider=provider)
    return rejected(exc)


def _expire_refused(exc: stripe.InvalidRequestError, checkout_session_id: str) -> Exception:
    provider = provider_context(exc)
    if is_missing(exc):
        return NotFound("checkout_session", checkout_session_id, provider=provider)
    if _NOT_EXPIRABLE.search(exc.user_message or ""):
        return CheckoutNotOpen(
            checkout_session_id, _why_not_open(exc.user_message), provider=provider
        )
    return rejected(exc)


def _why_not_open(message: str | None) -> str:
    found = _SESSION_STATUS.search(message or "")
    status = found.group(1) if found else None
    if status == "complete":
        return "it is complete (paid, or a delayed payment is under way)"
    if status == "expired":
        return "it expired already"
    return "only an open checkout can be expired"


def _no_external_id(external_product_id: str, provider: ProviderContext) -> NotFound:
    return NotFound(
        "product", external_product_id, id_field=EXTERNAL_ID_METADATA_KEY, provider=provider
    )
