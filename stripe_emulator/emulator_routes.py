"""Emulator-only routes under ``/_emulator`` (no API key needed).

They drive what a person or the network would do on real Stripe: paying, expiring, faults.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.expand import expand
from stripe_emulator.forms import FormError, decode_form
from stripe_emulator.handler_utils import json_response
from stripe_emulator.payments import expire_session, pay_session, settle_intent
from stripe_emulator.state import STATE, state_of
from stripe_emulator.store import JSON


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/checkout/sessions/{session}/pay", pay)
    app.router.add_post("/_emulator/checkout/sessions/{session}/expire", expire)
    app.router.add_get("/_emulator/faults", list_faults)
    app.router.add_post("/_emulator/faults", add_fault)
    app.router.add_delete("/_emulator/faults", clear_faults)
    app.router.add_post("/_emulator/payment_intents/{intent}/settle", settle)
    app.router.add_get("/_emulator/deliveries", deliveries)
    app.router.add_get("/_emulator/delivery_faults", list_delivery_faults)
    app.router.add_post("/_emulator/delivery_faults", add_delivery_fault)
    app.router.add_delete("/_emulator/delivery_faults", clear_delivery_faults)
    app.router.add_get("/_emulator/stats", stats)
    app.router.add_post("/_emulator/reset", reset)


async def read_body(request: web.Request) -> dict[str, Any]:
    """A JSON object or a form; an empty body is ``{}``."""
    raw = await request.read()
    if not raw.strip():
        return {}
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            return decode_form(raw)
        except FormError as exc:
            raise errors.invalid_request(str(exc)) from exc
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.invalid_request(f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise errors.invalid_request("The JSON body must be an object.")
    return body


def _session(request: web.Request) -> JSON:
    session_id = request.match_info["session"]
    session = state_of(request).store.get("checkout.session", session_id)
    if session is None:
        raise errors.resource_missing("checkout.session", session_id, "id")
    return session


async def pay(request: web.Request) -> web.Response:
    """Body ``{"outcome": "succeed" | "fail" | "processing"}`` (default succeed)."""
    body = await read_body(request)
    outcome = body.get("outcome", "succeed")
    if not isinstance(outcome, str):
        raise errors.invalid_value("outcome", "outcome must be a string")
    state = state_of(request)
    session = pay_session(state.store, _session(request), outcome, state.now())
    return json_response(expand(state.store, session, ["payment_intent"]))


async def expire(request: web.Request) -> web.Response:
    state = state_of(request)
    return json_response(expire_session(state.store, _session(request), state.now()))


async def settle(request: web.Request) -> web.Response:
    """Body ``{"outcome": "succeeded" | "failed"}``: the bank settles a processing payment."""
    body = await read_body(request)
    outcome = body.get("outcome")
    if not isinstance(outcome, str):
        raise errors.invalid_value("outcome", "outcome must be `succeeded` or `failed`")
    state = state_of(request)
    intent_id = request.match_info["intent"]
    intent = state.store.get("payment_intent", intent_id)
    if intent is None:
        raise errors.resource_missing("payment_intent", intent_id, "id")
    return json_response(settle_intent(state.store, intent, outcome))


async def deliveries(request: web.Request) -> web.Response:
    """Every delivery attempt, oldest first; ``?event=evt_…`` / ``?endpoint=we_…`` narrow it."""
    deliverer = state_of(request).deliveries
    wanted = {key: request.query[key] for key in ("event", "endpoint") if key in request.query}
    rows = [row for row in deliverer.attempts if all(row[k] == v for k, v in wanted.items())]
    return json_response({"object": "list", "data": rows, "in_progress": deliverer.in_progress()})


async def list_delivery_faults(request: web.Request) -> web.Response:
    return json_response(state_of(request).deliveries.faults.describe())


async def add_delivery_fault(request: web.Request) -> web.Response:
    faults = state_of(request).deliveries.faults
    return json_response(faults.configure(await read_body(request)))


async def clear_delivery_faults(request: web.Request) -> web.Response:
    faults = state_of(request).deliveries.faults
    faults.clear()
    return json_response(faults.describe())


async def list_faults(request: web.Request) -> web.Response:
    return json_response(state_of(request).faults.describe())


async def add_fault(request: web.Request) -> web.Response:
    return json_response(state_of(request).faults.configure(await read_body(request)))


async def clear_faults(request: web.Request) -> web.Response:
    faults = state_of(request).faults
    faults.clear()
    return json_response(faults.describe())


async def stats(request: web.Request) -> web.Response:
    return json_response(state_of(request).stats())


async def reset(request: web.Request) -> web.Response:
    """A new, empty generation; requests still running finish on the old one."""
    holder = request.app[STATE]
    old = holder.current
    fresh = holder.reset()
    await old.deliveries.close()  # deleting endpoints ends their retries on Stripe too
    return json_response(fresh.stats())
