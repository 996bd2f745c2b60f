"""GET /healthz and /readyz: no key needed; ready until a stop begins, then 503 while the
process still answers (so a load balancer takes it out before it goes)."""

from __future__ import annotations

import aiohttp

from service.composition import Service


async def get(service: Service, path: str) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://{service.http_address}{path}") as response,
    ):
        return response.status, await response.json()


async def test_ready_then_not_ready_once_the_stop_begins(service: Service) -> None:
    assert await get(service, "/healthz") == (200, {"status": "SERVING"})
    assert await get(service, "/readyz") == (200, {"status": "SERVING"})

    await service.server.refuse_new_calls(5)

    assert await get(service, "/readyz") == (503, {"status": "NOT_SERVING"})
    assert await get(service, "/healthz") == (200, {"status": "SERVING"})
