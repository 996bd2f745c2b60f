"""aiohttp's own refusals of what is not HTTP/1.1 it can parse (a line too long, a byte not
allowed in a header, a gRPC client's HTTP/2 preface), answered as the rest of the door answers:
JSON google.rpc.Status, and never a quote of the request. aiohttp's page quotes the bytes it
choked on, which may be an API key followed by one bad byte.

aiohttp has no hook for that page (RequestHandler.handle_error), so the runner's server makes
handlers of a subclass that overrides it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from google.protobuf import json_format

from service import errors

REFUSED_MESSAGE = (
    "the request is not HTTP/1.1 this port can read (a line or header too long, a byte not "
    "allowed in a header, or another protocol); it serves HTTP/JSON"
)


class _JsonRefusalHandler(RequestHandler):
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
        body = json_format.MessageToDict(failure.status, always_print_fields_with_no_presence=True)
        response = web.Response(
            status=status, body=json.dumps(body).encode(), content_type="application/json"
        )
        response.force_close()
        return response


class _JsonRefusalServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonRefusalHandler(self, loop=self._loop, **self._kwargs)


class JsonRefusalRunner(web.AppRunner):
    """web.AppRunner whose connections answer refusals as JSON Status."""

    async def _make_server(self) -> web.Server:
        server: Any = await super()._make_server()
        server.__class__ = _JsonRefusalServer  # the same server; only its handlers' class differs
        return server  # type: ignore[no-any-return]
