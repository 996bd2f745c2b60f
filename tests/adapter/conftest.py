"""Gateway → stripe SDK → HTTP on loopback → the Stripe emulator in a background thread
(`emulator`, from tests/conftest.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from domain.call import Deadline, WriteOptions
from domain.checkout import CheckoutSession, NewCheckout
from domain.customer import Customer, NewCustomer
from domain.errors import ProviderUnavailable
from domain.money import Money
from domain.ports import PaymentEvents, PaymentGateway
from domain.product import NewProduct, Product
from stripe_adapter.events import StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings
from stripe_emulator.testing import AsyncEmulatorHandle, EmulatorHandle
from tests.adapter.webhooks import Deliveries, webhook_endpoint


def settings_for(
    emulator: EmulatorHandle | AsyncEmulatorHandle, **overrides: Any
) -> StripeSettings:
    values: dict[str, Any] = {
        "api_key": emulator.api_key,
        "api_base": emulator.url,
        "timeout_seconds": 5.0,
        "max_network_retries": 2,
        "max_connections": 10,
    }
    values.update(overrides)
    return StripeSettings(**values)


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose queue of connections to accept is full: a new connection is never set up."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        waiting = [socket.socket() for _ in range(4)]
        try:
            for client in waiting:
                client.setblocking(False)
                client.connect_ex(("127.0.0.1", port))
            yield port
        finally:
            for client in waiting:
                client.close()


@pytest.fixture
async def gateway(emulator: EmulatorHandle) -> AsyncIterator[StripePaymentGateway]:
    gateway = StripePaymentGateway.from_settings(settings_for(emulator))
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def customer(gateway: StripePaymentGateway) -> Customer:
    return await gateway.create_customer(NewCustomer(email="ann@example.com"), write())


@pytest.fixture
async def product(gateway: StripePaymentGateway) -> Product:
    """Sold at 15.00 USD."""
    return await gateway.create_product(new_product("sku-1"), write())


def checkout_for(
    product: Product, customer_id: str, quantity: int = 2, **overrides: Any
) -> NewCheckout:
    assert product.price_id is not None
    values: dict[str, Any] = {
        "price_id": product.price_id,
        "product_id": product.id,
        "customer_id": customer_id,
        "quantity": quantity,
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
        "metadata": {"order": "o-1"},
    }
    values.update(overrides)
    return NewCheckout(**values)


ORDER = "order-42"


async def open_checkout(
    gateway: StripePaymentGateway, customer: Customer, product: Product, order: str = ORDER
) -> CheckoutSession:
    new = checkout_for(product, customer.id, client_reference_id=order)
    return await gateway.create_checkout(new, write())


def pay(emulator: EmulatorHandle, session_id: str, outcome: str = "succeed") -> str:
    """The customer pays (`outcome` as the emulator's pay route takes it); the PaymentIntent."""
    paid = emulator.pay(session_id, outcome=outcome)
    intent: str = paid["payment_intent"]["id"]
    return intent


@pytest.fixture
async def deliveries(emulator: EmulatorHandle) -> AsyncIterator[Deliveries]:
    """A webhook endpoint for every event type, delivering to a receiver on the test's loop."""
    async with webhook_endpoint(emulator) as endpoint:
        yield endpoint


@pytest.fixture
async def events(
    emulator: EmulatorHandle, gateway: StripePaymentGateway, deliveries: Deliveries
) -> StripePaymentEvents:
    """The events adapter sharing the gateway's connection, verifying the endpoint's secret."""
    return StripePaymentEvents(
        settings_for(emulator), [deliveries.secret], connection=gateway.connection
    )


def _implements_the_ports(
    gateway: StripePaymentGateway, events: StripePaymentEvents
) -> tuple[PaymentGateway, PaymentEvents]:
    """Where mypy checks the adapters against the ports."""
    return gateway, events


def write(
    key: str | None = None,
    *,
    deadline_in: float = 60.0,
    operation: str = "CreateCustomer",
    request_id: str = "",
) -> WriteOptions:
    """A write's options; the default deadline is far enough away never to matter."""
    return WriteOptions(
        idempotency_key=key,
        deadline=Deadline.after(deadline_in),
        operation=operation,
        request_id=request_id,
    )


def in_seconds(seconds: float = 60.0) -> Deadline:
    return Deadline.after(seconds)


def new_product(external_id: str = "sku-1", **overrides: Any) -> NewProduct:
    values: dict[str, Any] = {
        "name": "Widget",
        "description": "A fine widget",
        "price": Money(1500, "usd"),
        "external_product_id": external_id,
        "metadata": {"team": "payments"},
    }
    values.update(overrides)
    return NewProduct(**values)


def object_count(emulator: EmulatorHandle, kind: str) -> int:
    counts: dict[str, int] = emulator.stats()["objects"]
    return counts.get(kind, 0)


def api_requests(emulator: EmulatorHandle) -> dict[str, int]:
    """Counts of `/v1` requests the emulator received, by "METHOD route"."""
    requests: dict[str, int] = emulator.stats()["requests"]
    return {route: n for route, n in requests.items() if " /v1/" in route}


async def unavailable_read(settings: StripeSettings, caplog: pytest.LogCaptureFixture) -> str:
    """A session read through a gateway on `settings` that must fail ProviderUnavailable within
    3 s (its connect timeout, not its request timeout); the adapter's one log line about it."""
    gateway = StripePaymentGateway.from_settings(settings)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderUnavailable):
            await gateway.get_payment("cs_test_1", Deadline.after(30))
    finally:
        await gateway.aclose()
    assert time.monotonic() - started < 3
    (line,) = [r.getMessage() for r in caplog.records if r.name == "stripe_adapter"]
    return line
