"""The one composition root (`build_service`, cosmicpython's bootstrap) and the one lifecycle
(`running_service`, which `python -m service` runs too; tests, demos and benchmarks as well):

    async with running_service(settings) as service:  # Stripe (or the emulator), its ledger
    async with running_service(settings, gateway=fake, ledger=fake_ledger) as service:
        grpc.aio.insecure_channel(service.address)  # service.http_address: the HTTP door
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib import resources

from domain import use_cases
from domain.live_feed import LiveFeed
from domain.ports import PaymentEvents, PaymentGateway, PaymentLedger
from ledger import open_ledger
from service.api import PaymentApi, Rpc, UseCases
from service.auth import ApiKeyAuthenticator
from service.config import Settings
from service.draining import Drain, StreamLimits
from service.gate import CallGate
from service.http import routes_of, serve_http
from service.http.app import Handler
from service.http.webhooks import webhook_route
from service.reconciler import Reconciler
from service.server import BindError, Connections, PaymentsServer, build_server
from stripe_adapter.events import StripePaymentEvents
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.settings import StripeSettings

# The OpenAPI document `make generate` writes beside the stubs: package data, found when installed.
OPENAPI = resources.files("payments.v1").joinpath("payments.swagger.json")
MIN_HTTP_SHUTDOWN_SECONDS = 0.001


@dataclass(frozen=True, slots=True)
class Service:
    """The wired service."""

    settings: Settings
    gateway: PaymentGateway
    ledger: PaymentLedger
    gate: CallGate
    rpcs: tuple[Rpc, ...]
    server: PaymentsServer
    drain: Drain
    feed: LiveFeed
    """The ledger's live feed the watch streams take from; `running_service` follows it."""
    take_in_webhook: use_cases.TakeInWebhook | None = None
    reconciler: Reconciler | None = None
    """Reconciles the ledger with the provider's events; None when there are none to read."""
    http_address: str | None = None
    """host:port of the HTTP/JSON door while `running_service` serves it (http_addr set)."""

    @property
    def address(self) -> str:
        """host:port of the gRPC door (the real port for port 0)."""
        return self.server.address


def build_service(
    settings: Settings,
    gateway: PaymentGateway,
    ledger: PaymentLedger,
    events: PaymentEvents | None = None,
) -> Service:
    """Wires everything over `gateway` and `ledger`, and the intake of `events` (webhooks and
    reconciliation) when given; binds the gRPC port but serves nothing yet."""
    defaults = use_cases.CheckoutDefaults(settings.success_url, settings.cancel_url)
    feed = LiveFeed(ledger)
    get_payment_status = use_cases.GetPaymentStatus(gateway, ledger)
    api = PaymentApi(
        UseCases(
            create_customer=use_cases.CreateCustomer(gateway),
            create_product=use_cases.CreateProduct(gateway),
            get_product=use_cases.GetProduct(gateway),
            create_checkout=use_cases.CreateCheckout(gateway, defaults, ledger),
            get_payment_status=get_payment_status,
            expire_checkout=use_cases.ExpireCheckout(gateway, ledger),
            list_payments=use_cases.ListPayments(ledger),
            list_payment_events=use_cases.ListPaymentEvents(ledger),
            watch_payment_status=use_cases.WatchPaymentStatus(get_payment_status, feed, ledger),
            watch_payment_events=use_cases.WatchPaymentEvents(ledger, feed),
        )
    )
    drain = Drain(StreamLimits(settings.max_streams, settings.max_streams_per_caller))
    authenticator = ApiKeyAuthenticator(settings.api_keys)
    gate = CallGate(authenticator, drain, settings.default_deadline_seconds)
    rpcs = api.rpcs()
    connections = Connections(
        settings.grpc_keepalive_seconds,
        settings.grpc_max_connection_age_seconds,
        age_grace_seconds=settings.grace_seconds,
    )
    server = build_server(rpcs, gate, settings.listen_addr, drain, connections)
    service = Service(settings, gateway, ledger, gate, rpcs, server, drain, feed)
    if events is None:
        return service
    retention = timedelta(days=settings.event_retention_days)
    reconcile = use_cases.Reconcile(events, ledger, retention=retention)
    return replace(
        service,
        take_in_webhook=use_cases.TakeInWebhook(events, ledger),
        reconciler=Reconciler(reconcile, settings.reconcile_interval_seconds),
    )


@asynccontextmanager
async def running_service(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    ledger: PaymentLedger | None = None,
    events: PaymentEvents | None = None,
    grace_seconds: float | None = None,
) -> AsyncIterator[Service]:
    """Serves gRPC, and HTTP when `settings.http_addr` is set, until the block exits; then stops
    within one grace period (`grace_seconds`, else the configured one). Without a `gateway`, the
    Stripe gateway of `settings` and its events are built here; without a `ledger`, the ledger
    of `settings` is opened (and migrated) here. With a `gateway` but no `events`, nothing is
    taken in. A stop's steps:
    1. the reconciler stops; both doors refuse new calls (SHUTTING_DOWN), every stream ends
       at once (SHUTTING_DOWN), health says NOT_SERVING, the grace starts;
    2. the HTTP listener stops accepting connections and its requests in flight finish;
    3. the gRPC calls in flight finish, then the port closes (cutting off any still running);
    4. the Stripe client, which calls of both doors share, closes; then the ledger."""
    grace = settings.grace_seconds if grace_seconds is None else grace_seconds
    # An exit stack unwinds in reverse, so the steps are pushed from the last to the first.
    async with AsyncExitStack() as stop:
        if ledger is None:
            ledger = await stop.enter_async_context(open_ledger(settings.ledger_url))
        if gateway is None:
            stripe_settings = _stripe_settings(settings)
            stripe = StripePaymentGateway.from_settings(stripe_settings)
            stop.push_async_callback(stripe.aclose)  # step 4
            gateway = stripe
            events = StripePaymentEvents(
                stripe_settings, settings.webhook_secrets, connection=stripe.connection
            )
        service = build_service(settings, gateway, ledger, events)
        await stop.enter_async_context(service.feed.following())  # stops after both doors
        stop.push_async_callback(service.server.stop, grace)  # step 3
        http = await _serve_http(stop, service, grace)  # step 2 on exit
        await service.server.start()  # SERVING only once every listener is bound
        stop.push_async_callback(service.server.refuse_new_calls, grace)  # step 1
        if service.reconciler is not None:
            await stop.enter_async_context(service.reconciler.running())
        yield replace(service, http_address=http)


def _stripe_settings(settings: Settings) -> StripeSettings:
    return StripeSettings(
        api_key=settings.stripe_secret_key,
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_network_retries=settings.stripe_max_network_retries,
    )


async def _serve_http(stop: AsyncExitStack, service: Service, grace: float) -> str | None:
    """Starts the HTTP listener when configured, with the JSON routes and the webhook route as
    the settings say; leaving `stop` stops it gracefully."""
    settings = service.settings
    addr = settings.http_addr
    if addr is None:
        return None
    extra: tuple[tuple[str, str, Handler], ...] = ()
    if settings.webhook_intake:
        if service.take_in_webhook is None:
            raise ValueError("webhook_intake needs the provider's events (running_service events)")
        extra = (webhook_route(service.take_in_webhook, service.drain),)
    door = serve_http(
        addr,
        service.gate,
        routes_of(service.rpcs) if settings.http_api else (),
        OPENAPI.read_bytes() if settings.http_api else None,
        extra=extra,
        # aiohttp reads a timeout of 0 as "wait forever"; a grace of 0 means "do not wait".
        shutdown_timeout=max(grace, MIN_HTTP_SHUTDOWN_SECONDS),
    )
    try:
        return await stop.enter_async_context(door)
    except OSError as error:
        raise BindError("http_addr", addr, error.strerror or error) from None
