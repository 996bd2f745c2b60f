"""A webhook endpoint for benchmarks: answers every POST with 200 and counts them.

    python bench/webhook_sink.py    # prints "webhook-sink listening on http://127.0.0.1:PORT/webhooks"

``GET /count`` answers ``{"received": n}``. It checks no signature and parses no more HTTP than
it must (a bare asyncio protocol, HTTP/1.1 keep-alive, ``Content-Length`` bodies): what is
measured is the emulator's cost of sending, not a consumer's. A real consumer runs on its own
machine; this one shares the benchmark's cores, so it runs at the lowest priority
(``nice 19``), as the emulator's delivery process does.
"""

from __future__ import annotations

import asyncio
import json
import signal

from stripe_emulator.webhooks.sender import lowest_priority

READY = "webhook-sink listening on "
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Sink(asyncio.Protocol):
    received = 0

    def __init__(self) -> None:
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end].decode("latin-1").lower()
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if len(self._buffer) < end + 4 + length:
                return  # the body is not all here yet
            self._buffer = self._buffer[end + 4 + length :]
            self._answer(head)

    def _answer(self, head: str) -> None:
        assert self._transport is not None
        if head.startswith("get /count"):
            body = json.dumps({"received": Sink.received}).encode()
            self._transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            return
        Sink.received += 1
        self._transport.write(OK)


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0, backlog=1024)
    print(f"{READY}http://127.0.0.1:{server.sockets[0].getsockname()[1]}/webhooks", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    lowest_priority()
    asyncio.run(main())
