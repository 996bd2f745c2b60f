"""StripePaymentGateway: the PaymentGateway port over Stripe's API."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote_plus

import stripe
from stripe.params import CustomerCreateParams, ProductCreateParams
from stripe.params.checkout import SessionCreateParams

from domain.call import WriteOptions
from domain.checkout import CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.errors import NotFound, NotFoundKind, ProviderContext
from domain.payment_status import PaymentSnapshot
from domain.product import EXTERNAL_ID_METADATA_KEY, NewProduct, Product
from stripe_adapter import translate
from stripe_adapter.client import StripeConnection
from stripe_adapter.errors import ErrorContext
from stripe_adapter.product_ids import product_id_for
from stripe_adapter.retry import Send, StripeCaller
from stripe_adapter.settings import StripeSettings

CHECKOUT_PRODUCT_METADATA_KEY = "product_id"
"""Checkout session metadata key naming the product sold, so a session can be traced back."""

_PRICE_EXPAND = ["default_price"]
_SESSION_PATH = "/v1/checkout/sessions/{}"
_INTENT_PATH = "/v1/payment_intents/{}"
_PRODUCT_PATH = "/v1/products/{}"


class StripePaymentGateway:
    """Implements domain.ports.PaymentGateway; raises only domain errors.

    Build one per process with `StripePaymentGateway.from_settings(...)` and `await aclose()` it
    at shutdown. Every call honours the caller's deadline (see `retry.StripeCaller`).
    """

    def __init__(self, connection: StripeConnection, caller: StripeCaller) -> None:
        self._connection = connection
        self._client = connection.client
        self._v1 = connection.client.v1
        self._caller = caller

    @classmethod
    def from_settings(cls, settings: StripeSettings) -> StripePaymentGateway:
        return cls(StripeConnection(settings), StripeCaller(settings))

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

        context = ErrorContext(options.operation, options.request_id)
        return translate.customer(await self._write(send, options, context))

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
            "default_price_data": {
                "currency": new.price.currency,
                "unit_amount": new.price.amount,
            },
            "expand": _PRICE_EXPAND,
        }
        if new.description:  # Stripe rejects an empty description
            params["description"] = new.description

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.products.create_async(params=params, options=request)

        context = ErrorContext(
            options.operation, options.request_id, taken=(new.external_product_id, product_id)
        )
        return translate.product(await self._write(send, options, context))

    async def get_product(self, product_id: str, deadline: float | None) -> Product:
        data = await self._retrieve_product(product_id, deadline, ("product", product_id))
        return translate.product(data)

    async def get_product_by_external_id(
        self, external_product_id: str, deadline: float | None
    ) -> Product:
        """A strongly consistent retrieve of the derived id, not an (eventually consistent) search.

        Only products created through this service are found: one created elsewhere with the
        metadata key set by hand has a random id.
        """
        product_id = product_id_for(external_product_id)
        missing: tuple[NotFoundKind, str] = ("product", external_product_id)
        try:
            data = await self._retrieve_product(product_id, deadline, missing)
        except NotFound as exc:
            raise _no_external_id(external_product_id, exc.provider) from None
        if translate.external_product_id(data) != external_product_id:
            raise _no_external_id(external_product_id, ProviderContext())
        return translate.product(data)

    async def create_checkout(self, new: NewCheckout, options: WriteOptions) -> CheckoutSession:
        """Caller metadata is kept; `product_id` in it is always the product sold."""
        params: SessionCreateParams = {
            "mode": "payment",
            "customer": new.customer_id,
            "line_items": [{"price": new.price_id, "quantity": new.quantity}],
            "success_url": new.success_url,
            "cancel_url": new.cancel_url,
            "metadata": {**new.metadata, CHECKOUT_PRODUCT_METADATA_KEY: new.product_id},
        }

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._v1.checkout.sessions.create_async(params=params, options=request)

        context = ErrorContext(
            options.operation,
            options.request_id,
            references={"customer": ("customer", new.customer_id)},
            sold=new.product_id,
        )
        return translate.checkout_session(await self._write(send, options, context))

    async def get_checkout_session(
        self, session_id: str, deadline: float | None
    ) -> PaymentSnapshot:
        path = _SESSION_PATH.format(quote_plus(session_id))
        data = await self._read(path, {}, deadline, ("checkout_session", session_id))
        return translate.session_snapshot(data)

    async def get_payment_intent(self, intent_id: str, deadline: float | None) -> PaymentSnapshot:
        path = _INTENT_PATH.format(quote_plus(intent_id))
        data = await self._read(path, {}, deadline, ("payment_intent", intent_id))
        return translate.intent_snapshot(data)

    async def _retrieve_product(
        self, product_id: str, deadline: float | None, missing: tuple[NotFoundKind, str]
    ) -> translate.Json:
        path = _PRODUCT_PATH.format(quote_plus(product_id))
        return await self._read(path, {"expand": _PRICE_EXPAND}, deadline, missing)

    async def _write(
        self, send: Send[stripe.StripeObject], options: WriteOptions, context: ErrorContext
    ) -> translate.Json:
        # Without the caller's key, one key per logical call still makes this adapter's own
        # 429 retries safe; the SDK's auto-generated key would only cover the SDK's retries.
        key = options.idempotency_key or f"payments-adapter-{uuid.uuid4()}"
        result = await self._caller.run(
            send, deadline=options.deadline, context=context, idempotency_key=key
        )
        return result.to_dict()

    async def _read(
        self,
        path: str,
        params: dict[str, Any],
        deadline: float | None,
        target: tuple[NotFoundKind, str],
    ) -> translate.Json:
        """GET `path` (the same path, id escaping and params as the SDK's `retrieve_async`).

        Through the SDK's documented `raw_request_async`: the same request, authentication,
        retries and error handling (a 4xx/5xx raises the same StripeError), but the answer stays
        the parsed JSON instead of becoming a tree of StripeObjects that `to_dict()` would then
        turn back into dicts: that round trip cost ~0.4 ms of CPU per read of the emulator's
        small session (vs ~0.02 ms to parse the JSON), a fifth of the service's CPU per call.
        """

        async def send(request: stripe.RequestOptions) -> Any:
            return await self._client.raw_request_async("get", path, **params, **request)

        context = ErrorContext("read", references={"id": target})
        response = await self._caller.run(send, deadline=deadline, context=context)
        data = response.data
        if not isinstance(data, dict):
            raise TypeError(f"Stripe answered GET {path} with JSON that is not an object")
        return data


def _no_external_id(external_product_id: str, provider: ProviderContext) -> NotFound:
    return NotFound(
        "product", external_product_id, id_field=EXTERNAL_ID_METADATA_KEY, provider=provider
    )
