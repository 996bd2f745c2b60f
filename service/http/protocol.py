"""The HTTP listener's connections, as aiohttp serves them, with what it lacks:

- its own refusals of what is not HTTP/1.1 it can parse (a line too long, a byte not allowed in a
  header, a gRPC client's HTTP/2 preface) answered as the rest of the door answers, JSON
  google.rpc.Status, never quoting the request: aiohttp's page quotes the bytes it choked on,
  which may be an API key followed by one bad byte;
- a cap on open connections: beyond it a new one is closed at once, so idle or slow clients
  cannot use up the process's file descriptors (and with them the gRPC door's);
- an idle timeout (aiohttp's keep-alive timeout, which also runs from a connection's start and
  while a request's head trickles in), so idle and slow-header connections are closed.

aiohttp has no hook for either of the first two, so the runner's server makes handlers of a
subclass (RequestHandler.handle_error and connection_made overridden)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from service import errors
from service.http.app import json_response, status_body

log = logging.getLogger("service.http")

REFUSED_MESSAGE = (
    "the request is not HTTP/1.1 this port can read (a line or header too long, a byte not "
    "allowed in a header, or another protocol); it serves HTTP/JSON"
)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    idle_timeout_seconds: float = 15.0
    max_connections: int = 1000


class _Handler(RequestHandler):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        server = self._manager
        if isinstance(server, _Server) and len(server.connections) > server.max_connections:
            log.warning("refused a connection: %d open, the limit", server.max_connections)
            transport.close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:  # the door's own middleware answers its handlers' failures
            return super().handle_error(request, status, exc, message)
        self.log_exception("Error handling request from %s", request.remote, exc_info=exc)
        failure = errors.failure_of(errors.EdgeError(errors.http_refusal(status), REFUSED_MESSAGE))
        response = json_response(status, status_body(failure))
        response.force_close()
        return response


class _Server(web.Server):
    max_connections = ConnectionLimits().max_connections

    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, **self._kwargs)


class JsonRefusalRunner(web.AppRunner):
    """web.AppRunner whose connections are limited and answer refusals as JSON Status."""

    def __init__(self, app: web.Application, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(app, keepalive_timeout=limits.idle_timeout_seconds, **kwargs)
        self._limits = limits

    async def _make_server(self) -> web.Server:
        server: Any = await super()._make_server()
        server.__class__ = _Server  # the same server; only its handlers' class differs
        server.max_connections = self._limits.max_connections
        return server  # type: ignore[no-any-return]
