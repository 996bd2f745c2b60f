"""The one composition root: Settings → StripeSettings → gateway → use cases → servicer → server,
and the one lifecycle (`running_service`) that `python -m service` runs too.

Programmatic start (tests, demos, benchmarks):

    settings = load_settings({...})              # or Settings(...)
    async with running_service(settings) as service:
        channel = grpc.aio.insecure_channel(service.address)
        ...                                      # service.http_address when http_addr is set
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace

from domain import use_cases
from domain.ports import PaymentGateway
from service.auth import ApiKeyAuthenticator
from service.config import Settings
from service.draining import Drain
from service.http import HttpListener, serve_http
from service.server import BindError, PaymentsServer, build_server
from service.servicer import PaymentServicer, UseCases
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings

MIN_HTTP_SHUTDOWN_SECONDS = 0.001


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
    drain: Drain
    http: HttpListener | None = None
    """The HTTP/JSON door while `running_service` serves it (PAYMENTS_HTTP_ADDR set)."""

    @property
    def address(self) -> str:
        """host:port actually bound (the real port when PAYMENTS_LISTEN_ADDR asks for port 0)."""
        return self.server.address

    @property
    def http_address(self) -> str | None:
        """host:port of the HTTP/JSON door (the real port for port 0); None when it is off."""
        return None if self.http is None else self.http.url.removeprefix("http://")


def build_service(settings: Settings) -> Service:
    """Wires everything; binds the gRPC port but serves nothing: `running_service` does."""
    gateway = StripePaymentGateway.from_settings(stripe_settings(settings))
    authenticator = ApiKeyAuthenticator(settings.api_keys)
    servicer = PaymentServicer(build_use_cases(gateway, settings))
    drain = Drain()
    server = build_server(
        servicer, authenticator, settings.listen_addr, drain, settings.default_deadline_seconds
    )
    server.on_stopped(gateway.aclose)
    return Service(settings, gateway, authenticator, servicer, server, drain)


@asynccontextmanager
async def running_service(
    settings: Settings, *, grace_seconds: float | None = None
) -> AsyncIterator[Service]:
    """Serves gRPC, and HTTP/JSON when `settings.http_addr` is set, on the running event loop
    until the block exits; then stops gracefully within one grace period (`grace_seconds`, the
    configured one when None):

    1. new calls are refused on both doors (UNAVAILABLE / 503, SHUTTING_DOWN), health says
       NOT_SERVING, and the grace period starts;
    2. the HTTP listener stops accepting connections and its requests in flight finish;
    3. the gRPC calls in flight finish, then the gRPC port closes (cancelling any call still
       running once the grace period is over);
    4. the Stripe client, which calls of both doors share, closes.

    `python -m service` runs exactly this, so tests exercise the deployed lifecycle.
    """
    grace = settings.grace_seconds if grace_seconds is None else grace_seconds
    service = build_service(settings)
    await service.server.start()
    # An exit stack unwinds in reverse, so the steps are pushed from the last to the first.
    async with AsyncExitStack() as stop:
        stop.push_async_callback(service.server.stop, grace)  # steps 3 and 4
        http = await _serve_http(stop, service, grace)  # step 2 on exit
        stop.push_async_callback(service.server.refuse_new_calls, grace)  # step 1
        yield replace(service, http=http)


async def _serve_http(stop: AsyncExitStack, service: Service, grace: float) -> HttpListener | None:
    """Starts the HTTP/JSON door when configured; leaving `stop` stops it gracefully."""
    addr = service.settings.http_addr
    if addr is None:
        return None
    door = serve_http(
        addr,
        service.servicer,
        service.authenticator,
        drain=service.drain,
        default_timeout=service.settings.default_deadline_seconds,
        # aiohttp reads a timeout of 0 as "wait forever"; a grace of 0 means "do not wait".
        shutdown_timeout=max(grace, MIN_HTTP_SHUTDOWN_SECONDS),
    )
    try:
        return await stop.enter_async_context(door)
    except OSError as error:
        raise BindError(f"cannot listen on {addr}: {error.strerror or error}") from None
