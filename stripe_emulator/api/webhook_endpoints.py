"""``/v1/webhook_endpoints``: where events are delivered (see ``webhooks/``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from stripe_emulator import errors
from stripe_emulator.handler_utils import json_response, require, respond, validated_params
from stripe_emulator.ids import new_id
from stripe_emulator.listing import list_page
from stripe_emulator.objects.webhook_endpoint import build_webhook_endpoint
from stripe_emulator.settings import SettingsError, check_http_url
from stripe_emulator.state import state_of
from stripe_emulator.store import JSON

MAX_ENDPOINTS = 16  # Stripe's limit per account (and mode)


async def create(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/webhook_endpoints")
    _check(params)
    state = state_of(request)
    if len(state.store.all("webhook_endpoint")) >= MAX_ENDPOINTS:
        raise errors.invalid_request(
            f"You have reached the maximum of {MAX_ENDPOINTS} test webhook endpoints."
        )
    endpoint = state.store.add(build_webhook_endpoint(params, state.now()))
    secret = new_id("whsec")
    state.store.webhook_secrets[endpoint["id"]] = secret
    return respond(request, {**endpoint, "secret": secret}, params)


def _endpoint(request: web.Request) -> JSON:
    return require(
        request, "webhook_endpoint", request.match_info["webhook_endpoint"], "webhook endpoint"
    )


async def retrieve(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/webhook_endpoints/{webhook_endpoint}")
    return respond(request, _endpoint(request), params)


async def update(request: web.Request) -> web.Response:
    params = await validated_params(request, "POST /v1/webhook_endpoints/{webhook_endpoint}")
    _check(params)
    endpoint = _endpoint(request)
    for key in ("url", "enabled_events", "metadata"):
        if key in params:
            endpoint[key] = params[key]
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    return respond(request, endpoint, params)


async def delete(request: web.Request) -> web.Response:
    await validated_params(request, "DELETE /v1/webhook_endpoints/{webhook_endpoint}")
    endpoint = _endpoint(request)
    store = state_of(request).store
    store.delete("webhook_endpoint", endpoint["id"])
    store.webhook_secrets.pop(endpoint["id"], None)
    return json_response({"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True})


async def list_endpoints(request: web.Request) -> web.Response:
    params = await validated_params(request, "GET /v1/webhook_endpoints")
    endpoints = state_of(request).store.all("webhook_endpoint")
    positions = {endpoint["id"]: index for index, endpoint in enumerate(endpoints)}
    page = list_page(
        endpoints, positions.get, params, url="/v1/webhook_endpoints", noun="webhook endpoint"
    )
    return respond(request, page, params)


def _check(params: dict[str, Any]) -> None:
    if "url" in params:
        check_url(params["url"])
    if params.get("enabled_events") == []:
        raise errors.invalid_value("enabled_events", "enabled_events must not be empty.")


def check_url(url: str) -> None:
    """http(s) with a host; Stripe also wants a public https URL, the emulator takes loopback."""
    try:
        check_http_url(url, "url")
    except SettingsError:
        raise errors.invalid_value("url", f"Invalid URL: {url}") from None
