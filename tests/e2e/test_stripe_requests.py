"""The Stripe requests each RPC costs (issue 14), counted by the emulator behind a real server:
every RPC at its minimum, CreateCheckout of a product the service knows included (one request,
not a read first); and what the service knew corrected when the product changed behind its back
(Stripe's refusal, or a product.updated webhook), never by a wrong charge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import grpc
import pytest
import stripe
from google.protobuf.message import Message

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import running_service
from service.config import Settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import RECONCILER_ROUTE, Stub, objects, rich_details
from tests.e2e.events_stack import events_stack
from tests.e2e.test_rpcs import create_customer, create_product
from tests.emulator.helpers import async_stripe_client, repriced, stripe_client

Metadata = tuple[tuple[str, str], ...]

PRODUCT_READ = "GET /v1/products/{id}"
SESSION_CREATE = "POST /v1/checkout/sessions"


def stripe_requests(stats: dict[str, Any]) -> Counter[str]:
    """The emulator's /v1 requests by route, the reconciler's listing of events aside."""
    return Counter(
        {
            route: n
            for route, n in stats["requests"].items()
            if " /v1/" in route and route != RECONCILER_ROUTE
        }
    )


@dataclass(frozen=True)
class Ctx:
    stub: Stub
    auth: Metadata
    emulator: EmulatorHandle

    def sdk(self) -> stripe.StripeClient:
        """Stripe itself, as an operator in the Dashboard would change it."""
        return stripe_client(self.emulator)

    async def customer_id(self) -> str:
        return (await create_customer(self.stub, self.auth)).id

    async def checkout_of(
        self, product_id: str, request_id: str = ""
    ) -> payments_pb2.CreateCheckoutRequest:
        return payments_pb2.CreateCheckoutRequest(
            product_id=product_id, customer_id=await self.customer_id(), request_id=request_id
        )

    async def open_checkout(self) -> str:
        product = await create_product(self.stub, self.auth)
        request = await self.checkout_of(product.id)
        response = await self.stub.CreateCheckout(request, metadata=self.auth, timeout=10)
        return str(response.checkout_session_id)

    def legacy_product(self) -> str:
        """A product made on Stripe, not through this service: unknown to it."""
        params: Any = {
            "name": "Legacy",
            "default_price_data": {"currency": "usd", "unit_amount": 900},
        }
        return str(self.sdk().v1.products.create(params=params).id)

    async def call(self, rpc: str, request: Message) -> Any:
        return await getattr(self.stub, rpc)(request, metadata=self.auth, timeout=10)


# Each scenario does its setup and answers the call to count: (RPC, request).
Scenario = Callable[[Ctx], Awaitable[tuple[str, Message]]]


async def create_customer_call(ctx: Ctx) -> tuple[str, Message]:
    return "CreateCustomer", payments_pb2.CreateCustomerRequest(email="jane@example.com")


async def create_product_call(ctx: Ctx) -> tuple[str, Message]:
    return "CreateProduct", payments_pb2.CreateProductRequest(
        name="Mug", unit_amount=900, currency="usd", external_product_id="SKU-MUG"
    )


async def get_product_by_id(ctx: Ctx) -> tuple[str, Message]:
    return "GetProduct", payments_pb2.GetProductRequest(product_id=ctx.legacy_product())


async def get_product_by_external_id(ctx: Ctx) -> tuple[str, Message]:
    await create_product(ctx.stub, ctx.auth, external_id="SKU-CAP")
    return "GetProduct", payments_pb2.GetProductRequest(external_product_id="SKU-CAP")


async def checkout_of_a_product_created_here(ctx: Ctx) -> tuple[str, Message]:
    product = await create_product(ctx.stub, ctx.auth)
    return "CreateCheckout", await ctx.checkout_of(product.id)


async def checkout_of_a_product_read_here(ctx: Ctx) -> tuple[str, Message]:
    product_id = ctx.legacy_product()
    await ctx.call("GetProduct", payments_pb2.GetProductRequest(product_id=product_id))
    return "CreateCheckout", await ctx.checkout_of(product_id)


async def checkout_of_an_unknown_product(ctx: Ctx) -> tuple[str, Message]:
    return "CreateCheckout", await ctx.checkout_of(ctx.legacy_product())


async def status_of_an_open_checkout(ctx: Ctx) -> tuple[str, Message]:
    return "GetPaymentStatus", payments_pb2.GetPaymentStatusRequest(id=await ctx.open_checkout())


async def expire_a_checkout(ctx: Ctx) -> tuple[str, Message]:
    session_id = await ctx.open_checkout()
    return "ExpireCheckout", payments_pb2.ExpireCheckoutRequest(checkout_session_id=session_id)


async def list_payments(ctx: Ctx) -> tuple[str, Message]:
    await ctx.open_checkout()
    return "ListPayments", payments_pb2.ListPaymentsRequest(customer_id=await ctx.customer_id())


async def list_payment_events(ctx: Ctx) -> tuple[str, Message]:
    return "ListPaymentEvents", payments_pb2.ListPaymentEventsRequest()


SESSION_READ = "GET /v1/checkout/sessions/{session}"
TABLE: list[tuple[Scenario, dict[str, int]]] = [
    (create_customer_call, {"POST /v1/customers": 1}),
    (create_product_call, {"POST /v1/products": 1}),
    (get_product_by_id, {PRODUCT_READ: 1}),
    (get_product_by_external_id, {PRODUCT_READ: 1}),
    (checkout_of_a_product_created_here, {SESSION_CREATE: 1}),
    (checkout_of_a_product_read_here, {SESSION_CREATE: 1}),
    (checkout_of_an_unknown_product, {PRODUCT_READ: 1, SESSION_CREATE: 1}),
    (status_of_an_open_checkout, {SESSION_READ: 1}),
    (expire_a_checkout, {"POST /v1/checkout/sessions/{session}/expire": 1}),
    (list_payments, {}),  # the ledger alone
    (list_payment_events, {}),
]


@pytest.mark.parametrize(("scenario", "expected"), TABLE, ids=[s.__name__ for s, _ in TABLE])
async def test_each_rpc_makes_the_fewest_stripe_requests(
    stub: Stub,
    auth: Metadata,
    emulator: EmulatorHandle,
    scenario: Scenario,
    expected: dict[str, int],
) -> None:
    ctx = Ctx(stub, auth, emulator)
    rpc, request = await scenario(ctx)
    before = stripe_requests(emulator.stats())

    await ctx.call(rpc, request)

    assert stripe_requests(emulator.stats()) - before == Counter(expected)


async def test_with_the_catalog_off_a_checkout_reads_the_product_first(
    settings: Settings, emulator: EmulatorHandle, auth: Metadata
) -> None:
    async with (
        running_service(replace(settings, product_cache_seconds=0)) as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        ctx = Ctx(payments_pb2_grpc.PaymentServiceStub(channel), auth, emulator)
        rpc, request = await checkout_of_a_product_created_here(ctx)
        before = stripe_requests(emulator.stats())
        await ctx.call(rpc, request)
    assert stripe_requests(emulator.stats()) - before == Counter(
        {PRODUCT_READ: 1, SESSION_CREATE: 1}
    )


# Behind the service's back: the product changed on Stripe (in its Dashboard, say).


async def test_archived_behind_its_back_is_refused_and_no_checkout_is_made(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    ctx = Ctx(stub, auth, emulator)
    product = await create_product(stub, auth)
    ctx.sdk().v1.products.update(product.id, params={"active": False})
    request = await ctx.checkout_of(product.id)
    before = stripe_requests(emulator.stats())

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await ctx.call("CreateCheckout", request)

    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = rich_details(raised.value)["error_info"]
    assert (info.reason, info.metadata["product_id"]) == ("PRODUCT_NOT_PURCHASABLE", product.id)
    assert "archived" in str(raised.value.details())
    # Stripe refused the session the service knew of; a fresh read said archived.
    assert stripe_requests(emulator.stats()) - before == Counter(
        {SESSION_CREATE: 1, PRODUCT_READ: 1}
    )
    assert objects(emulator.stats(), "checkout.session") == 0


async def test_repriced_without_an_event_stripes_refusal_of_the_old_price_corrects_it(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    ctx = Ctx(stub, auth, emulator)
    product = await create_product(stub, auth, amount=2500)
    client = ctx.sdk()
    repriced(client, product.id, 3100, archiving=product.price_id)
    request = await ctx.checkout_of(product.id, request_id="5b0e8a52-7d1c-4d0e-9c55-0f3c1e2a9b77")
    before = stripe_requests(emulator.stats())

    first = await ctx.call("CreateCheckout", request)  # at the new price: 31.00, not 25.00
    again = await ctx.call("CreateCheckout", request)  # the caller's retry

    assert first.amount_total == 3100
    assert again.checkout_session_id == first.checkout_session_id
    # Refused (the old price), read, created; the retry replayed under the same key.
    assert stripe_requests(emulator.stats()) - before == Counter(
        {SESSION_CREATE: 3, PRODUCT_READ: 1}
    )
    assert objects(emulator.stats(), "checkout.session") == 1


async def test_a_product_updated_webhook_makes_the_next_checkout_use_the_new_price() -> None:
    async with events_stack() as stack:
        shop = stack.shop  # its product created through the service: known
        async with async_stripe_client(stack.emulator) as client:
            price = await client.v1.prices.create_async(
                params={"product": shop.product_id, "currency": "usd", "unit_amount": 2100}
            )
            await client.v1.products.update_async(
                shop.product_id, params={"default_price": price.id}
            )
        await stack.emulator.deliveries_settled()
        delivered = {(d["type"], d["status"]) for d in await stack.emulator.deliveries()}
        calls = await shop.stripe_calls()

        checkout = await shop.open_checkout("order-repriced")

        assert ("product.updated", 200) in delivered
        # The old price is still on sale, so Stripe would not have refused it: the webhook
        # alone made the service read the product afresh, then open the session.
        assert checkout.amount_total == 2100
        assert await shop.stripe_calls() - calls == 2
