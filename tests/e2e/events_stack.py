"""The service taking the emulator's webhooks, as a deployment takes Stripe's: real servers on
loopback, real deliveries (signed, retried), the real SDK.

    async with events_stack() as stack:             # emulator + service, wired up
        checkout = await stack.shop.open_checkout("order-1")
        await stack.emulator.pay(checkout.checkout_session_id)
        await stack.emulator.deliveries_settled()   # every delivery answered (or given up)

The wiring, for tests that build their own (a `python -m service` process, replicas): the
emulator starts with a webhook endpoint aimed at no one yet (`webhook_emulator`), the service
starts with that endpoint's secret (`intake_settings`), and once the service's port is known the
endpoint is pointed at it (`point_webhooks_at`) — through the SDK, as an operator would in the
Dashboard, for the events the ledger uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import grpc

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import Service, running_service
from service.config import Settings
from service.http.webhooks import WEBHOOK_ROUTE
from stripe_adapter.events import EVENT_TYPES
from stripe_emulator.testing import AsyncEmulatorHandle, WebhookSettings
from stripe_emulator.testing import serve as serve_emulator
from tests.conftest import API_KEY, Stub, past_first_reconciliation, settings_over, v1_requests
from tests.e2e.test_rpcs import create_customer, create_product
from tests.emulator.helpers import async_stripe_client, loose

SECRET = "whsec_e2e_events_0123456789abcdefghij"
RETRY_SCALE = 0.0001
"""Stripe's retry delays (5 min, 30 min, 2 h) become 30 ms, 180 ms and 720 ms."""
NOBODY = "http://127.0.0.1:9/stripe/webhooks"
"""The endpoint's URL until the service's port is known (nothing happens before that)."""
AUTH = (("x-api-key", API_KEY),)
Metadata = tuple[tuple[str, str], ...]


def webhook_emulator(
    retry_scale: float = RETRY_SCALE,
) -> AbstractAsyncContextManager[AsyncEmulatorHandle]:
    """An emulator on the running loop whose start-up endpoint (`emulator.webhook_endpoint`)
    signs with SECRET; `point_webhooks_at` gives it the service's URL."""
    hooks = WebhookSettings(url=NOBODY, secret=SECRET, retry_scale=retry_scale)
    return serve_emulator(webhooks=hooks)


async def point_webhooks_at(emulator: AsyncEmulatorHandle, http_address: str) -> None:
    """The endpoint delivers to the service at `http_address` (host:port) the events the
    service uses, as docs/events.md tells an operator to set it up."""
    assert emulator.webhook_endpoint is not None
    async with async_stripe_client(emulator) as client:
        await client.v1.webhook_endpoints.update_async(
            emulator.webhook_endpoint,
            # The SDK types each event type name as a literal; these are plain strings.
            params=loose(
                {
                    "url": f"http://{http_address}{WEBHOOK_ROUTE}",
                    "enabled_events": list(EVENT_TYPES),
                }
            ),
        )


def intake_settings(emulator: AsyncEmulatorHandle, **overrides: Any) -> Settings:
    """Both doors on loopback, the webhook intake on with the emulator's secret."""
    intake = {"webhook_intake": True, "webhook_secrets": (SECRET,)}
    return replace(settings_over(emulator), **{**intake, **overrides})


@asynccontextmanager
async def intake_service(emulator: AsyncEmulatorHandle, **overrides: Any) -> AsyncIterator[Service]:
    """The service (`intake_settings`) once its start-up reconciliation is over."""
    async with running_service(intake_settings(emulator, **overrides), grace_seconds=0) as service:
        yield await past_first_reconciliation(service)


@dataclass(frozen=True)
class Shop:
    """A caller of the service selling one product to one customer."""

    emulator: AsyncEmulatorHandle
    stub: Stub
    customer_id: str
    product_id: str

    @classmethod
    async def open(cls, emulator: AsyncEmulatorHandle, channel: grpc.aio.Channel) -> Shop:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        customer = await create_customer(stub, AUTH)
        product = await create_product(stub, AUTH, amount=1999)
        return cls(emulator, stub, customer.id, product.id)

    async def open_checkout(self, order_id: str) -> payments_pb2.CreateCheckoutResponse:
        request = payments_pb2.CreateCheckoutRequest(
            product_id=self.product_id, customer_id=self.customer_id, client_reference_id=order_id
        )
        return await self.stub.CreateCheckout(request, metadata=AUTH, timeout=10)

    async def status(self, payment_id: str) -> payments_pb2.GetPaymentStatusResponse:
        request = payments_pb2.GetPaymentStatusRequest(id=payment_id)
        return await self.stub.GetPaymentStatus(request, metadata=AUTH, timeout=10)

    async def payments_of(self, order_id: str) -> list[payments_pb2.Payment]:
        request = payments_pb2.ListPaymentsRequest(client_reference_id=order_id)
        response = await self.stub.ListPayments(request, metadata=AUTH, timeout=10)
        return list(response.payments)

    async def stripe_calls(self) -> int:
        """The Stripe API requests the emulator has answered for calls (the reconciler's
        listing of events is not one)."""
        return v1_requests(await self.emulator.stats())


@dataclass(frozen=True)
class EventsStack:
    emulator: AsyncEmulatorHandle
    service: Service
    shop: Shop


@asynccontextmanager
async def events_stack(
    retry_scale: float = RETRY_SCALE, **settings: Any
) -> AsyncIterator[EventsStack]:
    """An emulator delivering webhooks to a service (`intake_settings` with `settings`), and a
    shop calling the service; everything stopped on exit."""
    async with (
        webhook_emulator(retry_scale) as emulator,
        intake_service(emulator, **settings) as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        assert service.http_address is not None
        await point_webhooks_at(emulator, service.http_address)
        yield EventsStack(emulator, service, await Shop.open(emulator, channel))
