"""``python -m stripe_emulator --host 127.0.0.1 --port 0 [--webhook-url URL --webhook-secret …]``.

Webhook settings also come from ``STRIPE_EMULATOR_WEBHOOK_URL``, ``…_WEBHOOK_SECRET``,
``…_WEBHOOK_TIMEOUT`` and ``STRIPE_EMULATOR_RETRY_SCALE``; the options win.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys

from stripe_emulator import settings
from stripe_emulator.server import EmulatorServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator", description="Stateful Stripe (test mode) emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument(
        "--log-level", default="INFO", help="INFO logs one line per request; WARNING silences it"
    )
    parser.add_argument("--webhook-url", help="deliver every event here (like stripe listen)")
    parser.add_argument("--webhook-secret", help="whsec_… to sign with (default: made up)")
    parser.add_argument("--webhook-timeout", help="seconds one delivery attempt may take (30)")
    parser.add_argument(
        "--webhook-retry-scale", help="multiplies Stripe's retry delays (0.001: hours -> seconds)"
    )
    args = parser.parse_args(argv)
    try:
        args.webhooks = settings.from_env(
            os.environ,
            url=args.webhook_url,
            secret=args.webhook_secret,
            timeout_seconds=args.webhook_timeout,
            retry_scale=args.webhook_retry_scale,
        )
    except settings.SettingsError as exc:
        parser.error(str(exc))
    return args


async def serve_forever(host: str, port: int, webhooks: settings.WebhookSettings) -> None:
    server = EmulatorServer(host, port, webhooks=webhooks)
    await server.start()
    print(f"stripe-emulator listening on {server.url}", flush=True)
    if webhooks.url is not None:
        endpoint = server.forwarding_endpoint
        print(
            f"stripe-emulator webhook endpoint {endpoint} -> {webhooks.url} "
            f"(signing secret {webhooks.secret})",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(args.host, args.port, args.webhooks))


if __name__ == "__main__":
    main()
