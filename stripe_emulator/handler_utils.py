"""Small helpers shared by the route modules: params, JSON responses, lookups."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.events import Event
from stripe_emulator.expand import expand
from stripe_emulator.forms import FormError, decode_form
from stripe_emulator.param_tables import ENDPOINT_PARAMS
from stripe_emulator.params import validate
from stripe_emulator.state import state_of
from stripe_emulator.store import JSON

PARAMS = web.RequestKey[dict[str, Any]]("params")
REQUEST_ID = web.RequestKey("request_id", str)


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        content_type="application/json",
    )


async def read_params(request: web.Request) -> dict[str, Any]:
    """Decoded bracket-notation params: the query string for GET, else the form body."""
    cached: dict[str, Any] | None = request.get(PARAMS)
    if cached is not None:
        return cached
    raw: bytes | str = (
        request.query_string if request.method in ("GET", "DELETE") else await request.read()
    )
    try:
        params = decode_form(raw)
    except FormError as exc:
        raise errors.invalid_value(exc.param or "body", str(exc)) from exc
    request[PARAMS] = params
    return params


async def validated_params(request: web.Request, endpoint: str) -> dict[str, Any]:
    return validate(ENDPOINT_PARAMS[endpoint], await read_params(request))


def require(request: web.Request, kind: str, object_id: str, noun: str | None = None) -> JSON:
    """Look an object up by the id in the URL; 404 ``resource_missing`` when absent."""
    obj = state_of(request).store.get(kind, object_id)
    if obj is None:
        raise errors.resource_missing(noun or kind, object_id, "id")
    return obj


def respond(
    request: web.Request, obj: JSON, params: dict[str, Any], *, recorded: Event | None = None
) -> web.Response:
    """The object as Stripe returns it, with any ``expand[]`` applied. ``recorded``: the event
    just recorded for ``obj`` as it is now; its snapshot's JSON text is reused as the answer."""
    paths: list[str] = params.get("expand", [])
    if paths:
        obj = expand(state_of(request).store, obj, paths)
    elif recorded is not None:
        return web.Response(body=recorded.object_json.encode(), content_type="application/json")
    return json_response(obj)


def event_request(request: web.Request) -> JSON:
    """The ``request`` field of the events an API call causes."""
    return {
        "id": request.get(REQUEST_ID),
        "idempotency_key": request.headers.get("Idempotency-Key"),
    }
