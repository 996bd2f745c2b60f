"""``python -m stripe_emulator --host 127.0.0.1 --port 0``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

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
    return parser.parse_args(argv)


async def serve_forever(host: str, port: int) -> None:
    server = EmulatorServer(host, port)
    await server.start()
    print(f"stripe-emulator listening on {server.url}", flush=True)
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
        asyncio.run(serve_forever(args.host, args.port))


if __name__ == "__main__":
    main()
