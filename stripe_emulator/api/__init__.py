"""Handlers for Stripe's public ``/v1`` routes."""

from __future__ import annotations

from aiohttp import web

from stripe_emulator.api import (
    checkout_sessions,
    customers,
    events,
    payment_intents,
    prices,
    products,
    webhook_endpoints,
)


def add_routes(app: web.Application) -> None:
    # Path parameter names follow Stripe's spec so route templates match it verbatim.
    app.router.add_post("/v1/customers", customers.create)
    app.router.add_get("/v1/customers/{customer}", customers.retrieve)
    app.router.add_post("/v1/customers/{customer}", customers.update)
    app.router.add_post("/v1/products", products.create)
    app.router.add_get("/v1/products/search", products.search)  # before {id}
    app.router.add_get("/v1/products/{id}", products.retrieve)
    app.router.add_post("/v1/products/{id}", products.update)
    app.router.add_post("/v1/prices", prices.create)
    app.router.add_get("/v1/prices/{price}", prices.retrieve)
    app.router.add_post("/v1/prices/{price}", prices.update)
    app.router.add_post("/v1/checkout/sessions", checkout_sessions.create)
    app.router.add_get("/v1/checkout/sessions/{session}", checkout_sessions.retrieve)
    app.router.add_post("/v1/checkout/sessions/{session}/expire", checkout_sessions.expire)
    app.router.add_get("/v1/payment_intents/{intent}", payment_intents.retrieve)
    app.router.add_get("/v1/events", events.list_events)
    app.router.add_get("/v1/events/{id}", events.retrieve)
    app.router.add_get("/v1/webhook_endpoints", webhook_endpoints.list_endpoints)
    app.router.add_post("/v1/webhook_endpoints", webhook_endpoints.create)
    endpoint = "/v1/webhook_endpoints/{webhook_endpoint}"
    app.router.add_get(endpoint, webhook_endpoints.retrieve)
    app.router.add_post(endpoint, webhook_endpoints.update)
    app.router.add_delete(endpoint, webhook_endpoints.delete)
