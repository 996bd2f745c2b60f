"""A webhook endpoint for benchmarks: answers every POST with 200 and counts them.

    python bench/webhook_sink.py    # prints "webhook-sink listening on http://127.0.0.1:PORT/webhooks"

``GET /count`` answers the number of deliveries received. It checks no signature: what is
measured is the emulator's cost of sending, not a consumer's. A real consumer runs on its own
machine; this one shares the benchmark's cores, so it runs at the lowest priority (``nice 19``),
as the emulator's delivery process does.
"""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from stripe_emulator.webhooks.sender import lowest_priority

READY = "webhook-sink listening on "
RECEIVED = web.AppKey("received", list[int])


async def receive(request: web.Request) -> web.Response:
    await request.read()
    request.app[RECEIVED][0] += 1
    return web.Response(text="ok")


async def count(request: web.Request) -> web.Response:
    return web.json_response({"received": request.app[RECEIVED][0]})


async def main() -> None:
    app = web.Application()
    app[RECEIVED] = [0]
    app.router.add_post("/webhooks", receive)
    app.router.add_get("/count", count)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    print(f"{READY}http://127.0.0.1:{runner.addresses[0][1]}/webhooks", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    lowest_priority()
    asyncio.run(main())
