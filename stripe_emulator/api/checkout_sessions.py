"""``/v1/checkout/sessions`` in payment mode."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.api import validation
from stripe_emulator.handler_utils import event_request, require, respond, validated_params
from stripe_emulator.objects.checkout_session import build_checkout_session
from stripe_emulator.payments import expire_session, refresh_expiry
from stripe_emulator.state import EmulatorState, state_of
from stripe_emulator.store import JSON

MIN_LIFETIME = 30 * 60
MAX_LIFETIME = 24 * 60 * 60
MAX_LINE_ITEMS = 100


async def create(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/checkout/sessions")
    if params["mode"] != "payment":
        raise errors.invalid_value("mode", "The Stripe emulator only supports `mode=payment`.")
    state = state_of(request)
    now = state.now()
    if "customer" in params and state.store.get("customer", params["customer"]) is None:
        raise errors.resource_missing("customer", params["customer"], "customer", status=400)
    if "customer_email" in params:
        validation.email(params["customer_email"], "customer_email")
    line_items = _line_items(state, params.get("line_items", []))
    currencies = {item["price"]["currency"] for item in line_items}
    if len(currencies) > 1:
        raise errors.invalid_value(
            "line_items", "Checkout does not support multiple prices with different currencies."
        )
    session = build_checkout_session(
        params,
        line_items=line_items,
        currency=currencies.pop(),
        page_base_url=f"{request.scheme}://{request.host}",
        now=now,
        expires_at=_expires_at(params, now),
    )
    state.store.add(session)
    state.store.line_items[session["id"]] = [
        {"price": item["price"]["id"], "quantity": item["quantity"]} for item in line_items
    ]
    if "payment_intent_data" in params:
        state.store.intent_data[session["id"]] = params["payment_intent_data"]
    return respond(request, session, params)


def _line_items(state: EmulatorState, items: list[dict[str, Any]]) -> list[JSON]:
    if not items:
        raise errors.parameter_missing("line_items", "`line_items` is required in `payment` mode.")
    if len(items) > MAX_LINE_ITEMS:
        raise errors.invalid_value("line_items", "You may only specify up to 100 line items.")
    resolved = []
    for index, item in enumerate(items):
        prefix = f"line_items[{index}]"
        if "price" not in item:
            raise errors.parameter_missing(f"{prefix}[price]")
        if "quantity" not in item:
            raise errors.parameter_missing(
                f"{prefix}[quantity]", f"Quantity is required. Add `quantity` to `{prefix}`"
            )
        price = state.store.get("price", item["price"])
        if price is None:
            raise errors.resource_missing("price", item["price"], f"{prefix}[price]", status=400)
        _check_purchasable(state, price, f"{prefix}[price]")
        resolved.append({"price": price, "quantity": item["quantity"]})
    return resolved


def _check_purchasable(state: EmulatorState, price: JSON, param: str) -> None:
    """Stripe's refusals (no code) of an archived price, or of a price whose product is
    archived (its prices stay active then)."""
    if not price["active"]:
        raise errors.invalid_value(
            param, "The price specified is inactive. This field only accepts active prices."
        )
    product = state.store.get("product", price["product"])
    if product is not None and not product["active"]:
        raise errors.invalid_value(
            param,
            f"Price `{price['id']}` is not available to be purchased because its product is "
            "not active.",
        )


def _expires_at(params: dict[str, Any], now: int) -> int:
    expires_at: int = params.get("expires_at", now + MAX_LIFETIME)
    if expires_at < now + MIN_LIFETIME:
        raise errors.invalid_value(
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        )
    if expires_at > now + MAX_LIFETIME:
        raise errors.invalid_value(
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        )
    return expires_at


def session_for(request: web.Request) -> JSON:
    """The session named in the URL, expired first if its time has passed."""
    session = require(
        request, "checkout.session", request.match_info["session"], "checkout.session"
    )
    return refresh_expiry(state_of(request).store, session, state_of(request).now())


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/checkout/sessions/{session}")
    return respond(request, session_for(request), params)


async def expire(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/checkout/sessions/{session}/expire")
    session = session_for(request)
    state = state_of(request)
    expire_session(state.store, session, state.now(), request=event_request(request))
    return respond(request, session, params)
