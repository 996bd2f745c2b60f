"""GET /openapi.json: the OpenAPI document `make generate` wrote, with `host` and `schemes` set
to where it is being read from (the request's Host and scheme), so a client generator or an API
explorer pointed at it calls this listener, whatever address it was deployed under."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

OPENAPI_ROUTE = "/openapi.json"


def openapi_route(
    document: bytes,
) -> tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """The route (method, path, handler); no API key needed."""
    parsed: dict[str, Any] = json.loads(document)

    async def serve(request: web.Request) -> web.StreamResponse:
        here = {**parsed, "host": request.host, "schemes": [request.scheme]}
        return web.Response(body=json.dumps(here).encode(), content_type="application/json")

    return ("GET", OPENAPI_ROUTE, serve)
