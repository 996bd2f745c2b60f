"""The HTTP/JSON door: routes derived from the protos' `google.api.http` rules (`routes`), the
request transcoded to the RPC's message (`transcode`), served by aiohttp through the call gate
(`app`). `serve_http` runs it on an address until its block ends."""

from __future__ import annotations

import contextlib
import logging
import ssl
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

from service.config import split_address, variable_of
from service.gate import CallGate
from service.http.app import Handler, create_app
from service.http.cors import install_cors
from service.http.openapi import OPENAPI_ROUTE
from service.http.protocol import ConnectionLimits, JsonRefusalRunner
from service.http.routes import BindingError, HttpRoute, routes_of

log = logging.getLogger("service.http")
refused_log = logging.getLogger("service.http.refused")  # what aiohttp logs of unparsable input


class _OneLineRefusal(logging.Filter):
    """aiohttp logs a request it cannot parse with a traceback quoting the bytes (a key, maybe):
    one line instead, saying what this port speaks (a gRPC client sends HTTP/2's `PRI`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg, record.args, record.exc_info = _NOT_HTTP1, (type(error).__name__,), None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_NOT_HTTP1 = (
    "refused input that is not HTTP/1.1 (%s): this port serves HTTP/JSON; gRPC and other HTTP/2 "
    f"clients belong on the gRPC port ({variable_of('listen_addr')})"
)
refused_log.addFilter(_OneLineRefusal())

__all__ = ["OPENAPI_ROUTE", "BindingError", "HttpRoute", "routes_of", "serve_http", "serving"]


@contextlib.asynccontextmanager
async def serve_http(
    addr: str,
    gate: CallGate,
    routes: tuple[HttpRoute, ...],
    openapi: bytes | None,
    *,
    shutdown_timeout: float,
    extra: tuple[tuple[str, str, Handler], ...] = (),
    ssl_context: ssl.SSLContext | None = None,
    limits: ConnectionLimits | None = None,
    cors_origins: frozenset[str] = frozenset(),
) -> AsyncIterator[str]:
    """Serves the door on `addr` (host:port; port 0 picks one; TLS with `ssl_context`) until the
    block ends, yielding the address bound; then stops accepting connections and lets requests
    in flight finish within `shutdown_timeout`."""
    app = create_app(gate, routes, openapi, extra)
    if cors_origins:
        install_cors(app, cors_origins)
    async with serving(
        app,
        addr,
        shutdown_timeout=shutdown_timeout,
        logger=refused_log,
        ssl_context=ssl_context,
        limits=limits,
    ) as bound:
        served = [f"HTTP/JSON, {len(routes)} routes"] if routes else []
        served += [path for _, path, _ in extra]
        log.info("listening on http://%s (%s)", bound, ", ".join(served))
        yield bound


@contextlib.asynccontextmanager
async def serving(
    app: web.Application,
    addr: str,
    *,
    shutdown_timeout: float,
    logger: logging.Logger | None = None,
    ssl_context: ssl.SSLContext | None = None,
    limits: ConnectionLimits | None = None,
) -> AsyncIterator[str]:
    """Serves `app` on `addr` (host:port; port 0 picks one; no host: loopback) until the block
    ends, yielding the address bound; then stops accepting connections and lets requests in
    flight finish within `shutdown_timeout`."""
    runner = JsonRefusalRunner(
        app,
        limits or ConnectionLimits(),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=shutdown_timeout,
        logger=logger or server_logger,
        # A caller that goes away cancels its call, as on the gRPC door: a stream waiting for its
        # next event would otherwise hold its slot until it next wrote to the closed connection.
        handler_cancellation=True,
    )
    await runner.setup()
    try:
        host, port = split_address(addr)
        host = host or "127.0.0.1"
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        await site.start()
        yield f"{f'[{host}]' if ':' in host else host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
