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
from stripe_emulator.payments import expire_session, pay_session
from stripe_emulator.state import STATE, state_of
from stripe_emulator.store import JSON


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/checkout/sessions/{session}/pay", pay)
    app.router.add_post("/_emulator/checkout/sessions/{session}/expire", expire)
    app.router.add_get("/_emulator/faults", list_faults)
    app.router.add_post("/_emulator/faults", add_fault)
    app.router.add_delete("/_emulator/faults", clear_faults)
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
    return json_response(request.app[STATE].reset().stats())
