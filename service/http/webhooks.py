"""POST /stripe/webhooks: Stripe's webhook deliveries, taken into the ledger.

No API key (Stripe cannot send one): the signature is the proof, checked by the adapter. The
answer is 2xx only once the event is durably recorded (or has made this replica forget a product
that changed, or is of a kind the service does not use); any failure is a 4xx/5xx, so Stripe
delivers the event again. Refusals are logged without the
body, which is the provider's data, not ours to copy into logs.
"""

from __future__ import annotations

import logging

from aiohttp import web

from domain.errors import WebhookRefused
from domain.ledger import Recorded
from domain.product import ProductChanged
from domain.use_cases import TakeInWebhook
from service.draining import Drain
from service.http.app import Handler, read_body
from service.metrics import Metrics

WEBHOOK_ROUTE = "/stripe/webhooks"
SIGNATURE_HEADER = "Stripe-Signature"

log = logging.getLogger("service.webhooks")


def webhook_route(
    take_in: TakeInWebhook, drain: Drain, metrics: Metrics
) -> tuple[str, str, Handler]:
    """The route (method, path, handler) for the HTTP listener."""

    async def receive(request: web.Request) -> web.StreamResponse:
        # Counted as in flight, so a stop waits for the write; refused (503) once draining.
        outcome = "failed"  # unless it is told otherwise: draining, the ledger down, …
        try:
            with drain.admit():
                payload = await read_body(request)
                taken = await take_in(payload, request.headers.get(SIGNATURE_HEADER, ""))
            outcome = _outcome(taken)
        except WebhookRefused as refused:
            outcome = "refused"
            log.warning("webhook refused: %s", refused.message)
            raise
        finally:
            metrics.webhook(outcome)
        return web.json_response({"received": True, "outcome": outcome})

    return ("POST", WEBHOOK_ROUTE, receive)


def _outcome(taken: Recorded | ProductChanged | None) -> str:
    """What the delivery's answer (and the metric) says taking the event in did."""
    if taken is None:
        return "ignored"
    if isinstance(taken, ProductChanged):
        return "product_changed"
    return taken.name.lower()
