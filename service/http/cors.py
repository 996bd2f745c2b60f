"""CORS for the HTTP/JSON door, for browser clients on the origins of an allow-list
(PAYMENTS_CORS_ALLOWED_ORIGINS): a preflight from one of them is answered (204) with the methods
and headers the door takes; its requests get Access-Control-Allow-Origin. Any other origin gets
no CORS header, so browsers keep its pages from reading answers. No cookies are involved (the
API key is a header), so credentials are never allowed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = (
    "authorization, content-type, grpc-timeout, traceparent, x-api-key, x-request-timeout"
)
PREFLIGHT_MAX_AGE_SECONDS = "600"


def install_cors(app: web.Application, allowed_origins: frozenset[str]) -> None:
    """Answers preflights (a middleware, before routing refuses OPTIONS) and marks every answer
    to an allowed origin as it is sent (streams included: their headers go out first)."""

    @web.middleware
    async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        asked = "Access-Control-Request-Method" in request.headers
        if request.method != "OPTIONS" or not asked or origin not in allowed_origins:
            return await handler(request)
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE_SECONDS
        return response

    async def mark(request: web.Request, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if origin is not None and origin in allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.add("Vary", "Origin")

    app.middlewares.insert(0, preflight)
    app.on_response_prepare.append(mark)
