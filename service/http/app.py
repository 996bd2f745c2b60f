"""The HTTP/JSON door: every `google.api.http` route of PaymentService, through the call gate,
failures as JSON google.rpc.Status with grpc-gateway's HTTP status for the code; a streaming
RPC's messages as newline-delimited JSON (`streams`). This module says only how HTTP carries a
call: where the key, the timeout and the request are; how answers look.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import Message

# Importing error_details_pb2 registers ErrorInfo, BadRequest, RetryInfo, … in the default
# descriptor pool, which json_format uses to print the `details` (Any) with their `@type`.
from google.rpc import error_details_pb2, status_pb2  # noqa: F401 (registers the details)

from domain.errors import Violation
from service import errors
from service.auth import key_from_metadata
from service.gate import CallFailed, CallGate
from service.http.docs import docs_routes
from service.http.openapi import openapi_route
from service.http.routes import HttpRoute
from service.http.streams import NdjsonStream
from service.http.transcode import build_request, decode_json_body

access_log = logging.getLogger("service.http.access")

MAX_BODY_BYTES = 1024 * 1024
MAX_TIMEOUT_SECONDS = 300.0
TIMEOUT_HEADER = "X-Request-Timeout"
GRPC_TIMEOUT_HEADER = "grpc-timeout"

_GRPC_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_GRPC_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")

_RPC = web.RequestKey("payments_rpc", str)
_REASON = web.RequestKey("payments_error_reason", str)
_STREAMED = web.RequestKey("payments_stream_started", bool)
CLIENT_CLOSED_REQUEST = 499
"""The access log's status of a request whose caller went away before any answer (nginx's)."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    gate: CallGate,
    routes: tuple[HttpRoute, ...],
    openapi: bytes | None,
    extra: tuple[tuple[str, str, Handler], ...] = (),
) -> web.Application:
    """The aiohttp application: one handler per route, the OpenAPI document and its explorer at
    /docs (when the JSON routes are served), and `extra` routes (method, path, handler) of their
    own."""
    app = web.Application(middlewares=[_answer_and_log], client_max_size=MAX_BODY_BYTES)
    for route in routes:
        handler = _stream_handler if route.rpc.streaming else _handler
        app.router.add_route(route.verb, route.template, handler(gate, route))
    if openapi is not None:
        for method, path, handle in (openapi_route(openapi), *docs_routes()):
            app.router.add_route(method, path, handle)
    for method, path, handle in extra:
        app.router.add_route(method, path, handle)
    return app


def _handler(gate: CallGate, route: HttpRoute) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        request[_RPC] = route.rpc.method.name
        response = await gate.unary(route.rpc, _HttpIncoming(request, route))
        return json_response(200, json_format.MessageToDict(response))

    return handle


def _stream_handler(gate: CallGate, route: HttpRoute) -> Handler:
    """A streaming RPC: its messages as NDJSON lines; a failure before the first one is answered
    as a unary call's, one after it is the stream's last line (and its access-log reason)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        request[_RPC] = route.rpc.method.name
        stream = NdjsonStream(request)
        try:
            await gate.stream(route.rpc, _HttpIncoming(request, route), stream.send)
        except CallFailed as failed:
            if not stream.started:
                raise
            request[_REASON] = failed.failure.problem.reason
            await stream.fail(status_body(failed.failure))
        finally:
            request[_STREAMED] = stream.started
        return await stream.finish()

    return handle


@dataclass(frozen=True, slots=True)
class _HttpIncoming:
    """An HTTP request as the gate reads it."""

    _request: web.Request
    _route: HttpRoute
    door: ClassVar[str] = "http"

    def api_key(self) -> str | None:
        return key_from_metadata(self._request.headers.items())

    def metadata(self) -> Iterable[tuple[str, str | bytes]]:
        return self._request.headers.items()

    def certificate_name(self) -> str | None:
        transport = self._request.transport
        certificate = transport.get_extra_info("peercert") if transport is not None else None
        for rdn in (certificate or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return str(value)
        return None

    def timeout_seconds(self) -> float | None:
        headers = self._request.headers
        return timeout_of(headers.get(GRPC_TIMEOUT_HEADER), headers.get(TIMEOUT_HEADER))

    async def request(self) -> Message:
        body = await _read_json(self._request) if self._route.has_body else None
        return build_request(
            self._route,
            path_params=self._request.match_info,
            query=self._request.query.items(),
            body=body,
        )


def timeout_of(grpc_timeout: str | None, seconds: str | None) -> float | None:
    """`grpc-timeout` (gRPC's form: 5S, 250m) or `X-Request-Timeout` (seconds), capped; None when
    neither is sent (the default deadline applies). A malformed value is INVALID_TIMEOUT."""
    if grpc_timeout is not None:
        match = _GRPC_TIMEOUT.match(grpc_timeout.strip())
        if match is None:
            raise _bad_timeout(GRPC_TIMEOUT_HEADER, "must be 1-8 digits and a unit (H M S m u n)")
        value = int(match.group(1)) * _GRPC_TIMEOUT_UNITS[match.group(2)]
        return min(value, MAX_TIMEOUT_SECONDS)
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise _bad_timeout(TIMEOUT_HEADER, "must be a positive number of seconds")
    return min(value, MAX_TIMEOUT_SECONDS)


def _bad_timeout(header: str, rule: str) -> errors.EdgeError:
    return errors.invalid(errors.INVALID_TIMEOUT, [Violation(header, rule)], "request")


async def read_body(request: web.Request) -> bytes:
    """The whole body, or BODY_TOO_LARGE beyond MAX_BODY_BYTES (without reading all of it)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large() from None


async def _read_json(request: web.Request) -> object:
    raw = await read_body(request)
    if not raw.strip():
        return {}  # no body: an empty message, whose rules then speak
    content_type = request.headers.get("Content-Type")
    if content_type is None or not _JSON_TYPE.match(request.content_type):
        message = "the request body must be JSON: send Content-Type: application/json"
        raise _unsupported(
            message, "content_type", (content_type or "")[:100], "must be application/json"
        )
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        message = "the request body must be UTF-8 JSON"
        raise _unsupported(message, "charset", charset[:40], "charset must be utf-8")
    return decode_json_body(raw)


def _unsupported(message: str, key: str, value: str, rule: str) -> errors.EdgeError:
    violation = Violation("Content-Type", rule)
    return errors.EdgeError(
        errors.UNSUPPORTED_CONTENT_TYPE, message, metadata={key: value}, violations=[violation]
    )


def _too_large() -> errors.EdgeError:
    return errors.EdgeError(
        errors.BODY_TOO_LARGE,
        f"the request body is larger than {MAX_BODY_BYTES} bytes",
        metadata={"limit_bytes": str(MAX_BODY_BYTES)},
    )


def _web_refusal(request: web.Request, exc: web.HTTPException) -> errors.EdgeError:
    """aiohttp's own refusals (no such route, wrong method, body too large) in our vocabulary."""
    if exc.status == 405:
        allowed = _allowed(exc)
        message = f"method {request.method} is not allowed on {request.path}"
        return errors.EdgeError(
            errors.METHOD_NOT_ALLOWED, message, metadata={"allowed_methods": allowed}
        )
    if exc.status == 404:
        message = f"no route for {request.method} {request.path}"
        return errors.EdgeError(
            errors.ROUTE_NOT_FOUND, message, metadata={"path": request.path[:200]}
        )
    if exc.status == 413:
        return _too_large()
    return errors.EdgeError(errors.http_refusal(exc.status), exc.reason)


def _allowed(exc: web.HTTPException) -> str:
    return ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))


def status_body(failure: errors.Failure) -> dict[str, Any]:
    """The failure's google.rpc.Status as JSON, as every HTTP answer writes it."""
    return json_format.MessageToDict(failure.status, always_print_fields_with_no_presence=True)


def _failure_response(request: web.Request, failure: errors.Failure) -> web.Response:
    request[_REASON] = failure.problem.reason
    return json_response(failure.problem.http_status, status_body(failure))


def json_response(status: int, payload: Any) -> web.Response:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return web.Response(status=status, body=body, content_type="application/json")


@web.middleware
async def _answer_and_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as Status JSON (never a bare 500), and one access-log line per request:
    method, path, status, RPC, error reason, duration; never a header, so never a key."""
    started = time.monotonic()
    try:
        response = await handler(request)
    except CallFailed as failed:
        response = _failure_response(request, failed.failure)
    except web.HTTPException as exc:
        response = _failure_response(request, errors.failure_of(_web_refusal(request, exc)))
        if exc.status == 405:
            response.headers["Allow"] = _allowed(exc)
    except asyncio.CancelledError:  # the caller went away (a drain's cut stream is a CallFailed)
        status = 200 if request.get(_STREAMED, False) else CLIENT_CLOSED_REQUEST
        _log_access(request, status, started)
        raise
    except Exception as exc:
        response = _failure_response(request, errors.failure_of(exc))
    _log_access(request, response.status, started)
    return response


def _log_access(request: web.Request, status: int, started: float) -> None:
    access_log.info(
        "%s %s %d rpc=%s reason=%s %.1fms",
        request.method,
        request.path,
        status,
        request.get(_RPC, "-"),
        request.get(_REASON, "-"),
        (time.monotonic() - started) * 1000,
    )
