"""The one composition root: Settings → StripeSettings → gateway → use cases → servicer → server.

Programmatic start (tests, demos, benchmarks):

    settings = load_settings({...})              # or Settings(...)
    async with running_service(settings) as service:
        channel = grpc.aio.insecure_channel(service.address)
        ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from domain import use_cases
from domain.ports import PaymentGateway
from service.auth import ApiKeyAuthenticator
from service.config import Settings
from service.server import PaymentsServer, build_server
from service.servicer import PaymentServicer, UseCases
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings


def stripe_settings(settings: Settings) -> StripeSettings:
    return StripeSettings(
        api_key=settings.stripe_secret_key,
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_network_retries=settings.stripe_max_network_retries,
    )


def build_use_cases(gateway: PaymentGateway, settings: Settings) -> UseCases:
    defaults = use_cases.CheckoutDefaults(
        success_url=settings.success_url, cancel_url=settings.cancel_url
    )
    return UseCases(
        create_customer=use_cases.CreateCustomer(gateway),
        create_product=use_cases.CreateProduct(gateway),
        get_product=use_cases.GetProduct(gateway),
        create_checkout=use_cases.CreateCheckout(gateway, defaults),
        get_payment_status=use_cases.GetPaymentStatus(gateway),
    )


@dataclass(frozen=True, slots=True)
class Service:
    """The wired service. The HTTP gateway reuses `servicer` and `authenticator` as they are."""

    settings: Settings
    gateway: StripePaymentGateway
    authenticator: ApiKeyAuthenticator
    servicer: PaymentServicer
    server: PaymentsServer

    @property
    def address(self) -> str:
        """host:port actually bound (the real port when PAYMENTS_LISTEN_ADDR asks for port 0)."""
        return self.server.address

    async def start(self) -> None:
        await self.server.start()

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Graceful: drains for `grace_seconds` (the configured grace when None), then closes
        the Stripe client the calls in flight were using."""
        grace = self.settings.grace_seconds if grace_seconds is None else grace_seconds
        await self.server.stop(grace)


def build_service(settings: Settings) -> Service:
    """Wires everything; binds the port but does not start serving."""
    gateway = StripePaymentGateway.from_settings(stripe_settings(settings))
    authenticator = ApiKeyAuthenticator(settings.api_keys)
    servicer = PaymentServicer(build_use_cases(gateway, settings))
    server = build_server(servicer, authenticator, settings.listen_addr)
    server.on_stopped(gateway.aclose)
    return Service(settings, gateway, authenticator, servicer, server)


@asynccontextmanager
async def running_service(
    settings: Settings, *, grace_seconds: float | None = None
) -> AsyncIterator[Service]:
    """Serves on the running event loop until the block exits, then stops gracefully."""
    service = build_service(settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop(grace_seconds)
