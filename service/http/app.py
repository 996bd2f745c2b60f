"""The HTTP/JSON door: every `google.api.http` route of PaymentService, served in-process.

Each request goes the way a gRPC call goes: the same API-key check (`x-api-key` or
`Authorization: Bearer`), the same protovalidate rules, the same servicer method (and so the same
use cases), the same error mapping. Errors are the JSON form of google.rpc.Status with the HTTP
status grpc-gateway uses for each code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import grpc
from aiohttp import web
from google.protobuf import json_format
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from domain.call import CallContext
from domain.errors import DeadlineExceeded, DomainError, Violation
from payments.v1 import payments_pb2
from service.auth import key_from_metadata
from service.call_context import build_call, request_id_of, run_with_call
from service.config import DEFAULT_DEADLINE_SECONDS
from service.draining import Drain
from service.http.bindings import HttpBinding, derive_bindings
from service.http.status_json import code_of, http_status_of, make_status, status_body
from service.http.transcode import REASON_INVALID_JSON, build_request, decode_json_body
from service.status import InputRejected, internal_status, new_reference, to_rpc_status
from service.validation import validate

logger = logging.getLogger("service.http")
access_logger = logging.getLogger("service.http.access")

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = DEFAULT_DEADLINE_SECONDS  # the service's one default (both doors)
MAX_TIMEOUT_SECONDS = 300.0
OPENAPI_ROUTE = "/openapi.json"
TIMEOUT_HEADER = "X-Request-Timeout"
GRPC_TIMEOUT_HEADER = "grpc-timeout"

_PACKAGE_DIR = Path(__file__).resolve().parent
OPENAPI_CANDIDATES: tuple[Path, ...] = (
    _PACKAGE_DIR / "openapi.json",  # when `make generate` (or packaging) puts a copy here
    _PACKAGE_DIR.parents[1] / "docs" / "openapi" / "payments.swagger.json",  # the repo's
)

_GRPC_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_GRPC_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_JSON_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


class Authenticator(Protocol):
    def authenticate(self, presented_key: str | None) -> str: ...


Handler = Callable[[Message, object], Awaitable[Message]]


class _NoGrpcContext:
    """What the servicer gets as `context` over HTTP: it must not use it (it reads the
    ContextVar), and anything it tries is a wiring bug that surfaces as INTERNAL."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the servicer used context.{name}, which HTTP calls do not have")


@dataclass(frozen=True, slots=True)
class _Route:
    binding: HttpBinding
    handler: Handler


class _State:
    def __init__(
        self,
        authenticator: Authenticator,
        openapi_paths: Sequence[Path],
        default_timeout: float,
        max_body_bytes: int,
        drain: Drain,
    ) -> None:
        self.authenticator = authenticator
        self.drain = drain
        self.openapi_paths = tuple(openapi_paths)
        self.default_timeout = default_timeout
        self.max_body_bytes = max_body_bytes
        self.openapi: bytes | None = None


_STATE = web.AppKey("payments_http_state", _State)
_RPC = web.RequestKey("payments_http_rpc", str)
_CALLER = web.RequestKey("payments_http_caller", str)
_ERROR_REASON = web.RequestKey("payments_http_error_reason", str)


def _handlers_of(servicer: object, service: ServiceDescriptor) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    for method in service.methods:
        handler = getattr(servicer, method.name, None)
        if handler is None:
            raise TypeError(f"{type(servicer).__name__} has no method {method.name}")
        handlers[method.name] = cast(Handler, handler)
    return handlers


def create_app(
    servicer: object,
    authenticator: Authenticator,
    *,
    service: ServiceDescriptor | None = None,
    openapi_paths: Sequence[Path] = OPENAPI_CANDIDATES,
    default_timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_body_bytes: int = MAX_BODY_BYTES,
    drain: Drain | None = None,
) -> web.Application:
    """The aiohttp application: one route per HTTP binding of `service` (PaymentService).

    `drain` is the service's, shared with gRPC, so that a stop waits for HTTP calls too and
    refuses new ones the same way (503, SHUTTING_DOWN); without one, calls are never refused.
    """
    service = service or payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]
    handlers = _handlers_of(servicer, service)
    app = web.Application(middlewares=[_errors_and_access_log], client_max_size=max_body_bytes)
    app[_STATE] = _State(
        authenticator, openapi_paths, default_timeout, max_body_bytes, drain or Drain()
    )
    for binding in derive_bindings(service):
        route = _Route(binding, handlers[binding.method.name])
        resource = app.router.add_resource(binding.route_path, name=None)
        resource.add_route(binding.http_method, _make_handler(route))
    app.router.add_route("GET", OPENAPI_ROUTE, _openapi)
    return app


def routes_of(app: web.Application) -> list[tuple[str, str]]:
    """(HTTP method, path template) of every route, for tests and start-up logging."""
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        out.append((route.method, str(path)))
    return out


# --- request handling -------------------------------------------------------------------------


def _make_handler(route: _Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        request[_RPC] = route.binding.method.name
        # Before anything else, as over gRPC: a request that reaches the app while the service
        # drains (on a connection opened before the listener closed) gets ShuttingDown → 503.
        with request.app[_STATE].drain.admit():
            return await _serve(request, route)

    return handle


async def _serve(request: web.Request, route: _Route) -> web.StreamResponse:
    state = request.app[_STATE]
    binding = route.binding
    try:
        # The order of the gRPC door: (drain, done by the caller) → API key → deadline → input.
        caller_id = state.authenticator.authenticate(key_from_metadata(request.headers.items()))
        request[_CALLER] = caller_id
        # Built before the body is read, so reading it counts against the deadline; the default
        # deadline, when the caller sets none, is applied where gRPC's is (build_call).
        call = build_call(
            caller_id, "", _timeout_of(request), default_deadline_seconds=state.default_timeout
        )
        budget = call.remaining_seconds()
        body = await _read_body(request) if binding.body else None
        message = build_request(
            binding,
            path_params=request.match_info,
            query=request.query.items(),
            body=body,
        )
        validate(message)
        call = dataclasses.replace(call, request_id=request_id_of(message))
        try:
            async with asyncio.timeout_at(_loop_deadline(call)):
                response = await run_with_call(
                    call, lambda: route.handler(message, _NoGrpcContext())
                )
        except TimeoutError:
            raise DeadlineExceeded(
                f"the call did not finish within its deadline of {budget or 0:g} s"
            ) from None
    except DomainError as exc:
        return _status_response(request, to_rpc_status(exc).status)
    payload = json_format.MessageToDict(response)
    if binding.response_body:
        field = response.DESCRIPTOR.fields_by_name[binding.response_body]
        payload = payload.get(field.json_name, {})
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode(),
        content_type="application/json",
    )


def _loop_deadline(call: CallContext) -> float:
    """The call's monotonic deadline on the event loop's clock."""
    remaining = call.remaining_seconds() or 0.0
    return asyncio.get_running_loop().time() + remaining


def _timeout_of(request: web.Request) -> float | None:
    """`grpc-timeout` (gRPC's form: 5S, 250m) or `X-Request-Timeout` (seconds), capped; else None
    (the service's default deadline applies). A malformed value is INVALID_ARGUMENT, not silently
    ignored."""
    raw = request.headers.get(GRPC_TIMEOUT_HEADER)
    if raw is not None:
        match = _GRPC_TIMEOUT.match(raw.strip())
        if match is None:
            raise InputRejected(
                [Violation(GRPC_TIMEOUT_HEADER, "must be 1-8 digits and a unit (H M S m u n)")],
                reason="INVALID_TIMEOUT",
            )
        seconds = int(match.group(1)) * _GRPC_TIMEOUT_UNITS[match.group(2)]
        return min(seconds, MAX_TIMEOUT_SECONDS)
    raw = request.headers.get(TIMEOUT_HEADER)
    if raw is not None:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds < float("inf"):
            raise InputRejected(
                [Violation(TIMEOUT_HEADER, "must be a positive number of seconds")],
                reason="INVALID_TIMEOUT",
            )
        return min(seconds, MAX_TIMEOUT_SECONDS)
    return None


class _BodyRejected(Exception):
    def __init__(self, http_status: int, status: status_pb2.Status) -> None:
        super().__init__(status.message)
        self.http_status = http_status
        self.status = status


async def _read_body(request: web.Request) -> object:
    limit = request.app[_STATE].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(limit) from None
    if not raw.strip():
        return {}  # no body: an empty message, whose rules then speak
    content_type = request.headers.get("Content-Type")
    if content_type is None or not _JSON_TYPE.match(request.content_type):
        raise _BodyRejected(
            415,
            make_status(
                grpc.StatusCode.INVALID_ARGUMENT,
                "the request body must be JSON: send Content-Type: application/json",
                reason="UNSUPPORTED_CONTENT_TYPE",
                metadata={"content_type": (content_type or "")[:100]},
                field_violations={"Content-Type": "must be application/json"},
            ),
        )
    charset = request.charset
    if charset is not None and charset.lower() not in ("utf-8", "utf8"):
        raise _BodyRejected(
            415,
            make_status(
                grpc.StatusCode.INVALID_ARGUMENT,
                "the request body must be UTF-8 JSON",
                reason="UNSUPPORTED_CONTENT_TYPE",
                metadata={"charset": charset[:40]},
                field_violations={"Content-Type": "charset must be utf-8"},
            ),
        )
    return decode_json_body(raw)


def _too_large(limit: int) -> _BodyRejected:
    return _BodyRejected(
        413,
        make_status(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"the request body is larger than {limit} bytes",
            reason="BODY_TOO_LARGE",
            metadata={"limit_bytes": str(limit)},
        ),
    )


async def _openapi(request: web.Request) -> web.StreamResponse:
    """The generated OpenAPI (Swagger 2.0) document; no API key needed."""
    state = request.app[_STATE]
    if state.openapi is None:
        for path in state.openapi_paths:
            with contextlib.suppress(OSError):
                state.openapi = path.read_bytes()
                break
    if state.openapi is None:
        status = make_status(
            grpc.StatusCode.NOT_FOUND,
            "the OpenAPI document is not available: run `make generate`",
            reason="OPENAPI_DOCUMENT_MISSING",
        )
        return _status_response(request, status)
    return web.Response(body=state.openapi, content_type="application/json")


# --- errors and the access log ----------------------------------------------------------------


def _status_response(
    request: web.Request,
    status: status_pb2.Status,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    code = code_of(status.code)
    request[_ERROR_REASON] = _reason_of(status)
    return web.Response(
        status=http_status or http_status_of(code),
        body=status_body(status),
        content_type="application/json",
        headers=headers,
    )


def _reason_of(status: status_pb2.Status) -> str:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _route_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """aiohttp's own refusals (no such route, wrong method, body too large) as Status JSON."""
    if exc.status == 405:
        allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
        status = make_status(
            grpc.StatusCode.UNIMPLEMENTED,
            f"method {request.method} is not allowed on {request.path}",
            reason="METHOD_NOT_ALLOWED",
            metadata={"allowed_methods": ", ".join(allowed)},
        )
        return _status_response(request, status, 405, {"Allow": ", ".join(allowed)})
    if exc.status == 404:
        status = make_status(
            grpc.StatusCode.NOT_FOUND,
            f"no route for {request.method} {request.path}",
            reason="ROUTE_NOT_FOUND",
            metadata={"path": request.path[:200]},
        )
        return _status_response(request, status)
    if exc.status == 413:
        limit = request.app[_STATE].max_body_bytes
        return _status_response(request, _too_large(limit).status, 413)
    code = grpc.StatusCode.INVALID_ARGUMENT if exc.status < 500 else grpc.StatusCode.INTERNAL
    status = make_status(code, exc.reason, reason="HTTP_" + str(exc.status))
    return _status_response(request, status, exc.status)


@web.middleware
async def _errors_and_access_log(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turns every failure into Status JSON (never a bare 500) and writes one access-log line
    per request: method, path, status, RPC, error reason, caller id, duration; never a
    header, so never a key."""
    started = time.monotonic()
    response: web.StreamResponse
    try:
        response = await handler(request)
    except _BodyRejected as exc:
        response = _status_response(request, exc.status, exc.http_status)
    except web.HTTPException as exc:
        response = _route_error(request, exc)
    except DomainError as exc:
        response = _status_response(request, to_rpc_status(exc).status)
    except asyncio.CancelledError:
        access_logger.info(
            "%s %s 499 rpc=%s cancelled by the client %.1fms",
            request.method,
            request.path,
            request.get(_RPC, "-"),
            (time.monotonic() - started) * 1000,
        )
        raise
    except Exception:
        reference = new_reference()
        logger.exception(
            "unexpected error serving %s %s; reference %s", request.method, request.path, reference
        )
        response = _status_response(request, internal_status(reference).status)
    access_logger.info(
        "%s %s %d rpc=%s reason=%s caller=%s %.1fms",
        request.method,
        request.path,
        response.status,
        request.get(_RPC, "-"),
        request.get(_ERROR_REASON) or "-",
        request.get(_CALLER, "-"),
        (time.monotonic() - started) * 1000,
    )
    return response


# --- the listener -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpListener:
    """A running HTTP listener: where it listens, and its application."""

    host: str
    port: int
    app: web.Application

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


@contextlib.asynccontextmanager
async def serve_http(
    addr: str,
    servicer: object,
    authenticator: Authenticator,
    *,
    shutdown_timeout: float = 5.0,
    **options: Any,
) -> AsyncIterator[HttpListener]:
    """Serves the HTTP/JSON door on `addr` (host:port; port 0 picks one) until the block ends.

    `options` go to create_app (openapi_paths, default_timeout, max_body_bytes, drain).
    """
    app = create_app(servicer, authenticator, **options)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    try:
        host, port = _split_addr(addr)
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = site._server
        sockets: Iterable[Any] = getattr(server, "sockets", None) or ()
        bound = next(iter(sockets), None)
        actual_port = bound.getsockname()[1] if bound is not None else port
        listener = HttpListener(host, actual_port, app)
        logger.info(
            "listening on %s (HTTP/JSON, %d routes)", listener.url, len(app.router.routes())
        )
        yield listener
    finally:
        await runner.cleanup()


__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_BODY_BYTES",
    "OPENAPI_ROUTE",
    "REASON_INVALID_JSON",
    "HttpListener",
    "create_app",
    "routes_of",
    "serve_http",
]
