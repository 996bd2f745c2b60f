"""The HTTP/JSON door: routes derived from the protos' `google.api.http` rules (`routes`), the
request transcoded to the RPC's message (`transcode`), served by aiohttp through the call gate
(`app`). `serve_http` runs it on an address until its block ends."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from service.gate import CallGate
from service.http.app import OPENAPI_ROUTE, create_app
from service.http.routes import BindingError, HttpRoute, routes_of

log = logging.getLogger("service.http")

__all__ = ["OPENAPI_ROUTE", "BindingError", "HttpListener", "HttpRoute", "routes_of", "serve_http"]


@dataclass(frozen=True, slots=True)
class HttpListener:
    """A running HTTP listener: where it listens (the real port for port 0)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@contextlib.asynccontextmanager
async def serve_http(
    addr: str,
    gate: CallGate,
    routes: tuple[HttpRoute, ...],
    openapi: bytes,
    *,
    shutdown_timeout: float,
) -> AsyncIterator[HttpListener]:
    """Serves the door on `addr` (host:port; port 0 picks one) until the block ends; then stops
    accepting connections and lets requests in flight finish within `shutdown_timeout`."""
    app = create_app(gate, routes, openapi)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=shutdown_timeout
    )
    await runner.setup()
    try:
        host, _, port = addr.rpartition(":")
        site = web.TCPSite(runner, host.strip("[]") or "127.0.0.1", int(port))
        await site.start()
        bound = runner.addresses[0]
        listener = HttpListener(host.strip("[]") or "127.0.0.1", int(bound[1]))
        log.info("listening on %s (HTTP/JSON, %d routes)", listener.url, len(routes))
        yield listener
    finally:
        await runner.cleanup()
