"""The aiohttp application: routes plus the middleware every request goes through.

Order, outermost first:
  ``observe``   request id, error envelopes, stats, the one log line;
  ``v1_gate``   for ``/v1`` only: API key, injected faults and latency, idempotency.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from stripe_emulator import api, checkout_page, emulator_routes, errors
from stripe_emulator.auth import api_key_of
from stripe_emulator.handler_utils import PARAMS, REQUEST_ID, read_params
from stripe_emulator.idempotency import Claim, StoredResponse
from stripe_emulator.ids import new_id
from stripe_emulator.settings import WebhookSettings
from stripe_emulator.state import (
    STATE,
    EmulatorState,
    RecordedRequest,
    StateHolder,
    pin_state,
    state_of,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

log = logging.getLogger("stripe_emulator")

ERROR = web.RequestKey("error", errors.StripeError)
MAX_IDEMPOTENCY_KEY_LENGTH = 255
UNEXPECTED = errors.StripeError(
    500, "An unknown error occurred in the Stripe emulator.", error_type="api_error", saved=False
)


class DroppedResponse(web.Response):
    """Returned after closing the connection on purpose; nothing reaches the client."""


def create_app(
    *, record_requests: bool = False, webhooks: WebhookSettings | None = None
) -> web.Application:
    app = web.Application(middlewares=[observe, v1_gate])
    app[STATE] = StateHolder(record_requests=record_requests, webhooks=webhooks)
    api.add_routes(app)
    emulator_routes.add_routes(app)
    checkout_page.add_routes(app)
    return app


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    request_id = new_id("req")
    request[REQUEST_ID] = request_id
    # First thing: the request works on today's state even if a reset comes mid-way.
    state = pin_state(request)
    in_flight = 1 if request.path.startswith("/v1/") else 0
    state.in_flight += in_flight
    try:
        response = await handler(request)
    except errors.StripeError as exc:
        response = error_response(request, exc)
    except web.HTTPException as exc:
        response = error_response(request, _from_http_exception(request, exc))
    except Exception:
        # A bug in the emulator: still answer in Stripe's envelope, and say so in the log.
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = error_response(request, UNEXPECTED)
    finally:
        state.in_flight -= in_flight
        if in_flight:
            state.last_api_answer = time.perf_counter()
    response.headers.setdefault("Request-Id", request_id)
    _account(request, response, started)
    return response


def error_response(request: web.Request, exc: errors.StripeError) -> web.Response:
    request[ERROR] = exc
    # Stripe links API errors to the dashboard's request log; not unauthenticated ones.
    logged = request.path.startswith("/v1/") and exc.status != 401
    body = exc.envelope(request.get(REQUEST_ID) if logged else None)
    response = web.Response(
        body=json.dumps(body).encode(), status=exc.status, content_type="application/json"
    )
    response.headers.update(exc.headers)
    return response


def _from_http_exception(request: web.Request, exc: web.HTTPException) -> errors.StripeError:
    """Router and size-limit errors, re-worded the way Stripe words them."""
    if exc.status == 404:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/."
        )
    elif exc.status == 405:
        message = (
            f"Unrecognized request URL ({request.method}: {request.path}): this URL does not "
            f"accept {request.method}. Please see https://stripe.com/docs."
        )
    else:
        message = exc.reason
    allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    return errors.StripeError(exc.status, message, headers=allow, saved=False)


def _account(request: web.Request, response: web.StreamResponse, started: float) -> None:
    state = state_of(request)  # a request that outlived a reset is counted in the old state
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "<unmatched>"
    state.request_counts[f"{request.method} {route}"] += 1
    status = "dropped" if isinstance(response, DroppedResponse) else str(response.status)
    if state.recorded is not None and route.startswith("/v1/") and PARAMS in request:
        error = request.get(ERROR)
        state.recorded.append(
            RecordedRequest(
                method=request.method,
                route=route,
                params=request[PARAMS],
                status=response.status,
                error_rule=None if error is None else error.rule,
                executed=error is None or error.saved,
            )
        )
    if log.isEnabledFor(logging.INFO):
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "%s %s %s %.1fms %s",
            request.method,
            request.path,
            status,
            elapsed_ms,
            request[REQUEST_ID],
        )


@web.middleware
async def v1_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith("/v1/"):
        return await handler(request)
    api_key = api_key_of(request)
    state = state_of(request)
    fault = state.faults.take(request.method, request.path)
    if fault is not None and fault.drop == "before":
        return _drop(request)
    if fault is not None and fault.status is not None:
        raise fault.error()
    delay = state.faults.delay_seconds()
    if delay:
        # Slow "processing", inside the idempotency window as on Stripe: a duplicate sent
        # meanwhile finds the key in use.
        handler = _delayed(handler, delay)
    response = await _idempotent(request, handler, api_key, state)
    if fault is not None and fault.drop == "after":
        return _drop(request)  # state changed, answer lost: what retries must survive
    return response


def _delayed(handler: Handler, seconds: float) -> Handler:
    async def delayed(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return await handler(request)

    return delayed


def _drop(request: web.Request) -> DroppedResponse:
    if request.transport is not None:
        request.transport.close()
    return DroppedResponse(status=499)


async def _idempotent(
    request: web.Request, handler: Handler, api_key: str, state: EmulatorState
) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return await handler(request)
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise errors.invalid_value(
            "Idempotency-Key",
            f"Idempotency key length must be at most {MAX_IDEMPOTENCY_KEY_LENGTH} characters.",
        )
    fingerprint = (request.method, request.path, await read_params(request))
    claim = state.idempotency.begin(api_key, key, fingerprint)
    if not isinstance(claim, Claim):
        return _replay(claim)
    request_id: str = request[REQUEST_ID]
    try:
        response = await handler(request)
    except errors.StripeError as exc:
        saved = error_response(request, exc) if exc.saved else None
        state.idempotency.finish(claim, _stored(saved, request_id))
        raise
    except BaseException:
        state.idempotency.finish(claim, None)
        raise
    state.idempotency.finish(claim, _stored(response, request_id))
    return response


def _stored(response: web.StreamResponse | None, request_id: str) -> StoredResponse | None:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return None
    return StoredResponse(response.status, response.body, request_id)


def _replay(stored: StoredResponse) -> web.Response:
    response = web.Response(body=stored.body, status=stored.status, content_type="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Original-Request"] = stored.request_id
    return response
