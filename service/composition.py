"""The one composition root (`build_service`, cosmicpython's bootstrap) and the one lifecycle
(`running_service`, which `python -m service` runs too; tests, demos and benchmarks as well):

    async with running_service(settings) as service:  # Stripe (or the emulator), its ledger
    async with running_service(settings, gateway=fake, ledger=fake_ledger) as service:
        grpc.aio.insecure_channel(service.address)  # service.http_address: the HTTP door
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib import resources

from opentelemetry.sdk.trace import TracerProvider

from domain import use_cases
from domain.live_feed import LiveFeed
from domain.ports import PaymentEvents, PaymentGateway, PaymentLedger, ProductCatalog
from ledger import open_ledger
from service.api import PaymentApi, Rpc, UseCases
from service.auth import ApiKeyAuthenticator
from service.caller_limits import CallerLimits
from service.config import Settings
from service.draining import Drain, StreamLimits
from service.gate import CallGate
from service.http import routes_of, serve_http
from service.http.health import health_routes
from service.http.protocol import ConnectionLimits
from service.http.webhooks import webhook_route
from service.metrics import Metrics, serving_metrics
from service.observers import AllObservers
from service.product_catalog import InProcessProductCatalog
from service.reconciler import Reconciler
from service.server import BindError, Connections, PaymentsServer, build_server
from service.tls import ServerCertificates
from service.tracing import Tracing
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
    catalog: ProductCatalog
    """What this replica knows of the products it sells (service/product_catalog.py)."""
    gate: CallGate
    rpcs: tuple[Rpc, ...]
    server: PaymentsServer
    drain: Drain
    authenticator: ApiKeyAuthenticator
    """The keys in use; `replace` them to reload (SIGHUP)."""
    metrics: Metrics
    feed: LiveFeed
    """The ledger's live feed the watch streams take from; `running_service` follows it."""
    certificates: ServerCertificates | None
    """Both doors' TLS certificates (None: plaintext), reloaded when their files change."""
    take_in_webhook: use_cases.TakeInWebhook | None = None
    reconciler: Reconciler | None = None
    """Reconciles the ledger with the provider's events; None when there are none to read."""
    http_address: str | None = None
    """host:port of the HTTP/JSON door while `running_service` serves it (http_addr set)."""
    metrics_address: str | None = None
    """host:port of /metrics while `running_service` serves it (metrics_addr set)."""

    @property
    def address(self) -> str:
        """host:port of the gRPC door (the real port for port 0)."""
        return self.server.address


def build_service(
    settings: Settings,
    gateway: PaymentGateway,
    ledger: PaymentLedger,
    events: PaymentEvents | None = None,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
    catalog: ProductCatalog | None = None,
) -> Service:
    """Wires everything over `gateway`, `ledger` and `catalog` (the in-process one of the
    settings when not given), and the intake of `events` (webhooks and reconciliation) when
    given, counted in `metrics` (new ones when not given) and traced by `tracing` (if given);
    binds the gRPC port but serves nothing yet."""
    defaults = use_cases.CheckoutDefaults(settings.success_url, settings.cancel_url)
    if catalog is None:
        catalog = InProcessProductCatalog(settings.product_cache_seconds)
    feed = LiveFeed(ledger)
    get_payment_status = use_cases.GetPaymentStatus(gateway, ledger)
    api = PaymentApi(
        UseCases(
            create_customer=use_cases.CreateCustomer(gateway),
            create_product=use_cases.CreateProduct(gateway, catalog),
            get_product=use_cases.GetProduct(gateway, catalog),
            create_checkout=use_cases.CreateCheckout(gateway, defaults, ledger, catalog),
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
    metrics = metrics or Metrics()
    metrics.watch(drain)
    limits = CallerLimits(settings.max_calls_per_caller)
    gate = CallGate(
        authenticator, drain, settings.default_deadline_seconds, limits, metrics, tracing
    )
    rpcs = api.rpcs()
    certificates = ServerCertificates(settings.tls) if settings.tls is not None else None
    credentials = certificates.grpc_credentials() if certificates is not None else None
    connections = Connections(
        keepalive_seconds=settings.grpc_keepalive_seconds,
        max_age_seconds=settings.grpc_max_connection_age_seconds,
        age_grace_seconds=settings.grace_seconds,
        max_idle_seconds=settings.grpc_max_connection_idle_seconds,
        handshake_timeout_seconds=settings.grpc_handshake_timeout_seconds,
    )
    server = build_server(rpcs, gate, settings.listen_addr, drain, connections, credentials)
    service = Service(
        settings, gateway, ledger, catalog, gate, rpcs, server, drain, authenticator, metrics,
        feed, certificates,
    )  # fmt: skip
    if events is None:
        return service
    retention = timedelta(days=settings.event_retention_days)
    reconcile = use_cases.Reconcile(events, ledger, catalog, retention=retention)
    return replace(
        service,
        take_in_webhook=use_cases.TakeInWebhook(events, ledger, catalog),
        reconciler=Reconciler(reconcile, settings.reconcile_interval_seconds),
    )


@asynccontextmanager
async def running_service(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    ledger: PaymentLedger | None = None,
    events: PaymentEvents | None = None,
    catalog: ProductCatalog | None = None,
    grace_seconds: float | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncIterator[Service]:
    """Serves gRPC, and HTTP when `settings.http_addr` is set, until the block exits; then stops
    within one grace period (`grace_seconds`, else the configured one). Without a `gateway`, the
    Stripe gateway of `settings` and its events are built here; without a `ledger`, the ledger
    of `settings` is opened (and migrated) here. With a `gateway` but no `events`, nothing is
    taken in. Without a `catalog`, the in-process one of `settings`. With a `tracer_provider`,
    calls and Stripe requests are traced (service.tracing).
    A stop's steps:
    1. the reconciler stops; both doors refuse new calls (SHUTTING_DOWN), every stream ends
       at once (SHUTTING_DOWN), health says NOT_SERVING, the grace starts;
    2. the HTTP listener stops accepting connections and its requests in flight finish;
    3. the gRPC calls in flight finish, then the port closes (cutting off any still running);
    4. the Stripe client, which calls of both doors share, closes; then the ledger."""
    grace = settings.grace_seconds if grace_seconds is None else grace_seconds
    metrics = Metrics()
    tracing = Tracing(tracer_provider) if tracer_provider is not None else None
    observer = AllObservers([metrics, tracing]) if tracing is not None else metrics
    # An exit stack unwinds in reverse, so the steps are pushed from the last to the first.
    async with AsyncExitStack() as stop:
        if ledger is None:
            ledger = await stop.enter_async_context(open_ledger(settings.ledger_url))
        if gateway is None:
            stripe_settings = _stripe_settings(settings)
            stripe = StripePaymentGateway.from_settings(stripe_settings, observer=observer)
            stop.push_async_callback(stripe.aclose)  # step 4
            gateway = stripe
            events = StripePaymentEvents(
                stripe_settings, settings.webhook_secrets, connection=stripe.connection
            )
        service = build_service(settings, gateway, ledger, events, metrics, tracing, catalog)
        await stop.enter_async_context(service.feed.following())  # stops after both doors
        if service.certificates is not None:
            await stop.enter_async_context(service.certificates.watching())
        stop.push_async_callback(service.server.stop, grace)  # step 3
        http = await _serve_http(stop, service, grace)  # step 2 on exit
        scrape = await _serve_metrics(stop, metrics, settings.metrics_addr)
        await service.server.start()  # SERVING only once every listener is bound
        stop.push_async_callback(service.server.refuse_new_calls, grace)  # step 1
        if service.reconciler is not None:
            await stop.enter_async_context(service.reconciler.running())
        yield replace(service, http_address=http, metrics_address=scrape)


def _stripe_settings(settings: Settings) -> StripeSettings:
    return StripeSettings(
        api_key=settings.stripe_secret_key,
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_network_retries=settings.stripe_max_network_retries,
        max_connections=settings.stripe_pool_size,
        proxy_url=settings.stripe_proxy_url,
    )


async def _serve_http(stop: AsyncExitStack, service: Service, grace: float) -> str | None:
    """Starts the HTTP listener when configured, with the JSON routes and the webhook route as
    the settings say; leaving `stop` stops it gracefully."""
    settings = service.settings
    addr = settings.http_addr
    if addr is None:
        return None
    extra = health_routes(service.drain)
    if settings.webhook_intake:
        if service.take_in_webhook is None:
            raise ValueError("webhook_intake needs the provider's events (running_service events)")
        extra += (webhook_route(service.take_in_webhook, service.drain, service.metrics),)
    door = serve_http(
        addr,
        service.gate,
        routes_of(service.rpcs) if settings.http_api else (),
        OPENAPI.read_bytes() if settings.http_api else None,
        extra=extra,
        # aiohttp reads a timeout of 0 as "wait forever"; a grace of 0 means "do not wait".
        shutdown_timeout=max(grace, MIN_HTTP_SHUTDOWN_SECONDS),
        ssl_context=service.certificates.http_context if service.certificates else None,
        limits=ConnectionLimits(settings.http_idle_timeout_seconds, settings.http_max_connections),
        cors_origins=settings.cors_allowed_origins,
    )
    return await _bound(stop, door, "http_addr", addr)


async def _serve_metrics(stop: AsyncExitStack, metrics: Metrics, addr: str | None) -> str | None:
    """Serves /metrics when configured, until `stop` unwinds."""
    if addr is None:
        return None
    return await _bound(stop, serving_metrics(metrics, addr), "metrics_addr", addr)


async def _bound(
    stop: AsyncExitStack, listener: AbstractAsyncContextManager[str], setting: str, addr: str
) -> str:
    """Enters a listener's block on `stop`: its address, or BindError naming the setting."""
    try:
        return await stop.enter_async_context(listener)
    except OSError as error:
        raise BindError(setting, addr, error.strerror or error) from None
