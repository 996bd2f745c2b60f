"""``/v1/customers``."""

from __future__ import annotations

from aiohttp import web

from stripe_emulator.api import validation
from stripe_emulator.handler_utils import (
    event_request,
    read_params,
    require,
    respond,
    validated_params,
)
from stripe_emulator.objects.customer import build_customer, update_customer
from stripe_emulator.state import state_of


async def create(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/customers")
    if "email" in params:
        validation.email(params["email"])
    state = state_of(request)
    customer = state.store.add(build_customer(params, state.now()))
    created = state.store.events.emit("customer.created", customer, request=event_request(request))
    return respond(request, customer, params, recorded=created)


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/customers/{customer}")
    return respond(request, require(request, "customer", request.match_info["customer"]), params)


async def update(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/customers/{customer}")
    if "email" in params:
        validation.email(params["email"])
    customer = require(request, "customer", request.match_info["customer"])
    metadata = (await read_params(request)).get("metadata")  # "" values unset keys
    previous = update_customer(customer, params, metadata)
    if previous:  # Stripe announces only real changes
        state_of(request).store.events.emit(
            "customer.updated",
            customer,
            request=event_request(request),
            previous_attributes=previous,
        )
    return respond(request, customer, params)
