"""A TCP relay on loopback between a client and a server that a test can cut, as a network
failure would: `cut()` aborts every connection through it (both sides see a reset), and the
client's next connection is relayed again.

    async with cuttable_link(service.address) as link:
        channel = grpc.aio.insecure_channel(link.address)
        ...
        link.cut()
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

CHUNK = 65536


class CuttableLink:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._writers: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[None]] = set()
        self.cuts = 0
        self.connections = 0
        """Connections relayed so far (a client that reconnected after a cut made one more)."""

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers |= {writer, up_writer}
        relay = asyncio.current_task()  # the server runs each connection in a task of its own
        assert relay is not None
        self._relays.add(relay)
        try:
            await asyncio.gather(
                _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
            )
        finally:
            self._relays.discard(relay)
            for side in (writer, up_writer):
                self._writers.discard(side)
                side.transport.abort()

    def cut(self) -> None:
        """Resets every connection now through the link."""
        self.cuts += 1
        for writer in tuple(self._writers):
            writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while chunk := await reader.read(CHUNK):
        writer.write(chunk)
        await writer.drain()
    writer.transport.abort()


@asynccontextmanager
async def cuttable_link(upstream: str) -> AsyncIterator[tuple[CuttableLink, str]]:
    """The link to `upstream` (host:port) and its own address; every connection closed on exit."""
    link = CuttableLink(upstream)
    server = await asyncio.start_server(link._accept, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    try:
        yield link, f"{host}:{port}"
    finally:
        server.close()
        link.cut()  # each relay ends as its connections do
        async with asyncio.timeout(5):
            await asyncio.gather(*link._relays)
            await server.wait_closed()
