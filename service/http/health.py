"""GET /healthz and /readyz on the HTTP listener, without an API key, for probes and load
balancers that speak HTTP rather than gRPC health: /healthz says the process answers (liveness);
/readyz says whether it takes calls (readiness): 200 SERVING, then 503 NOT_SERVING from the
moment a stop begins, as the gRPC health service says."""

from __future__ import annotations

from aiohttp import web

from service.draining import Drain
from service.http.app import Handler

HEALTHZ_ROUTE = "/healthz"
READYZ_ROUTE = "/readyz"


def health_routes(drain: Drain) -> tuple[tuple[str, str, Handler], ...]:
    async def alive(request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "SERVING"})

    async def ready(request: web.Request) -> web.StreamResponse:
        if drain.draining:
            return web.json_response({"status": "NOT_SERVING"}, status=503)
        return web.json_response({"status": "SERVING"})

    return (("GET", HEALTHZ_ROUTE, alive), ("GET", READYZ_ROUTE, ready))
