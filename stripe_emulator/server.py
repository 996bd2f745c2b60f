"""Run the application on a TCP port, counting accepted connections for ``/_emulator/stats``."""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from stripe_emulator.app import create_app
from stripe_emulator.settings import WebhookSettings
from stripe_emulator.state import STATE, EmulatorState


class EmulatorServer:
    """``await start()``, then ``url``; ``await stop()`` closes the port and all connections."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        record_requests: bool = False,
        webhooks: WebhookSettings | None = None,
    ):
        self.host = host
        self.port = port
        self.app = create_app(record_requests=record_requests, webhooks=webhooks)
        # No aiohttp access log: the emulator writes its own, cheaper, line per request.
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        self._server: asyncio.Server | None = None

    @property
    def state(self) -> EmulatorState:
        """The current generation (``/_emulator/reset`` replaces it)."""
        return self.app[STATE].current

    @property
    def forwarding_endpoint(self) -> str | None:
        """The id of the ``--webhook-url`` endpoint, if one was configured."""
        return self.app[STATE].forwarding_endpoint_id

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        protocol_factory = self._runner.server
        assert protocol_factory is not None
        holder = self.app[STATE]

        def counting_factory() -> RequestHandler:
            # One protocol instance per accepted connection.
            holder.current.connections += 1
            return protocol_factory()

        self._server = await asyncio.get_running_loop().create_server(
            counting_factory, self.host, self.port, reuse_address=True, backlog=1024
        )
        sockets = self._server.sockets
        self.port = sockets[0].getsockname()[1] if sockets else self.port
        for sock in sockets:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()  # no new connections
        # Closes the connections already accepted (idle keep-alive ones included) once their
        # requests are answered; asyncio's server leaves those to the protocol's owner.
        await self._runner.cleanup()
        await self.state.deliveries.close()  # no request is left to start one
        if server is not None:
            # Only now: from Python 3.12 on, wait_closed() waits for every accepted connection
            # to close, which before the cleanup above would be forever with one idle client.
            await server.wait_closed()
