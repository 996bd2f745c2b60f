"""The service's Prometheus metrics, served at /metrics on a listener of their own
(PAYMENTS_METRICS_ADDR). One registry per service (not the library's global one), so several
services in one process (tests) keep theirs apart.

Label values are bounded: RPC paths, gRPC codes, configured caller names (or key fingerprints),
Stripe endpoints with their ids replaced, HTTP statuses, webhook outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from service.call_record import CallRecord, current_call
from service.draining import Drain
from service.http import serving

log = logging.getLogger("service.metrics")

# A call costs ~1 ms from the ledger, ~100-500 ms at Stripe, seconds in a latency spike.
CALL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
METRICS_ROUTE = "/metrics"
SCRAPE_SHUTDOWN_SECONDS = 1.0  # a scrape in flight at a stop: not worth waiting long for


class Metrics:
    """Every metric of one service; `watch` the service's drain for the in-flight gauges. Also
    the Stripe adapter's StripeObserver (and so where a call's Stripe request ids are noted)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self._calls = Counter(
            "payments_rpc_calls", "Calls ended, by RPC, gRPC code, caller and door",
            ("rpc", "code", "caller", "door"), registry=r,
        )  # fmt: skip
        self._call_seconds = Histogram(
            "payments_rpc_duration_seconds", "Call latency (a stream's: how long it was open)",
            ("rpc", "door"), buckets=CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self._in_flight = Gauge("payments_rpc_in_flight", "Calls running, streams too", registry=r)
        self._streams = Gauge("payments_open_streams", "Watch streams open", registry=r)
        self._stripe = Counter(
            "payments_stripe_requests",
            "Stripe request attempts, by endpoint and outcome (HTTP status or network_error)",
            ("method", "endpoint", "outcome"), registry=r,
        )  # fmt: skip
        self._stripe_seconds = Histogram(
            "payments_stripe_request_duration_seconds", "Stripe request attempt latency",
            ("method", "endpoint"), buckets=CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self._retries = Counter(
            "payments_stripe_retries",
            "Stripe requests tried again: sdk (connection error, 409, 5xx), rate_limited (429)",
            ("reason",), registry=r,
        )  # fmt: skip
        self._webhooks = Counter(
            "payments_webhooks",
            "Webhook deliveries: changed, unchanged, duplicate, product_changed, ignored, refused, "
            "failed",
            ("outcome",), registry=r,
        )  # fmt: skip

    def watch(self, drain: Drain) -> None:
        """The in-flight gauges read `drain` at each scrape."""
        self._in_flight.set_function(lambda: drain.in_flight)
        self._streams.set_function(lambda: drain.open_streams)

    def call_ended(self, record: CallRecord) -> None:
        self._calls.labels(record.rpc, record.code.name, record.caller, record.door).inc()
        self._call_seconds.labels(record.rpc, record.door).observe(record.seconds)

    def stripe_request(
        self, method: str, endpoint: str, outcome: str, seconds: float, request_id: str
    ) -> None:
        self._stripe.labels(method, endpoint, outcome).inc()
        self._stripe_seconds.labels(method, endpoint).observe(seconds)
        call = current_call()
        if call is not None and request_id:
            call.stripe_request_ids.append(request_id)

    def stripe_retry(self, reason: str) -> None:
        self._retries.labels(reason).inc()

    def webhook(self, outcome: str) -> None:
        self._webhooks.labels(outcome).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@asynccontextmanager
async def serving_metrics(metrics: Metrics, addr: str) -> AsyncIterator[str]:
    """Serves GET /metrics on `addr` (no API key: a listener of its own, for the scraper) while
    the block runs; yields host:port (the real port for port 0)."""

    async def scrape(request: web.Request) -> web.Response:
        headers = {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}
        return web.Response(body=metrics.exposition(), headers=headers)

    app = web.Application()
    app.router.add_get(METRICS_ROUTE, scrape)
    async with serving(app, addr, shutdown_timeout=SCRAPE_SHUTDOWN_SECONDS) as bound:
        log.info("metrics on http://%s%s", bound, METRICS_ROUTE)
        yield bound
