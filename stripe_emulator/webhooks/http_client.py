"""A lean HTTP/1.1 client for webhook POSTs, with keep-alive connections per origin.

Why not aiohttp's client: every API call that creates an object also sends a webhook, and
aiohttp's client spends about as much CPU on a request as the emulator spends answering one;
with the API, the deliveries and the load generator on two cores, that halved the API's
throughput (docs/benchmarks.md). A webhook POST needs only a fixed request and a status code
back, so this writes the request bytes and reads the status line, the headers and a
``Content-Length``, chunked or close-delimited body. It runs in the sender's child process.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


class BadResponse(Exception):
    """The endpoint answered something that is not HTTP/1.x."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query string
    host_header: str


@functools.lru_cache(maxsize=256)
def target_of(url: str) -> Target:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname or "", port, path, parts.netloc.rpartition("@")[2])


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reusable = True
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            self.reusable = False  # bytes nobody asked for: do not trust this connection
            return
        try:
            parsed = parse_response(self._buffer, closed=False)
        except BadResponse as exc:
            self._waiter.set_exception(exc)
            return
        if parsed is not None:
            status, keep_alive = parsed
            self.reusable = keep_alive
            self._waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._waiter is None or self._waiter.done():
            return
        try:
            parsed = parse_response(self._buffer, closed=True)
        except BadResponse as bad:
            self._waiter.set_exception(bad)
            return
        if parsed is None:
            self._waiter.set_exception(ConnectionResetError("connection closed before an answer"))
        else:
            self._waiter.set_result(parsed[0])

    async def exchange(self, request: bytes) -> int:
        assert self.transport is not None
        self._buffer.clear()
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self._waiter

    def usable(self) -> bool:
        return self.reusable and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()


def parse_response(buffer: bytearray, *, closed: bool) -> tuple[int, bool] | None:
    """``(status, keep-alive)`` once the whole response is in ``buffer``, else ``None``."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise BadResponse(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    keep_alive = version == "HTTP/1.1" and headers.get("connection") != "close"
    body = len(buffer) - end - 4
    if "content-length" in headers:
        length = headers["content-length"]
        if not length.isdigit():
            raise BadResponse(f"bad Content-Length: {length[:20]!r}")
        return (int(code), keep_alive) if body >= int(length) else None
    if "chunked" in headers.get("transfer-encoding", ""):
        return (int(code), keep_alive) if buffer.endswith(b"0\r\n\r\n") else None
    if code in ("204", "304"):
        return int(code), keep_alive
    return (int(code), False) if closed else None  # the body runs until the connection closes


class WebhookClient:
    """``await post(url, body, headers)`` -> the status; ``close()`` drops every connection."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """Raises ``TimeoutError``, ``OSError`` (refused, reset) or ``BadResponse``."""
        target = target_of(url)
        head = f"POST {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        key = (target.scheme, target.host, target.port)
        async with asyncio.timeout(self._timeout):
            connection = self._take_idle(key) or await self._connect(target)
            try:
                status = await connection.exchange(request)
            except BaseException:
                self._discard(connection)
                raise
        if connection.usable():
            self._idle.setdefault(key, []).append(connection)
        else:
            self._discard(connection)
        return status

    def _take_idle(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.usable():
                return connection
            self._discard(connection)
        return None

    async def _connect(self, target: Target) -> _Connection:
        context = ssl.create_default_context() if target.scheme == "https" else None
        _, connection = await asyncio.get_running_loop().create_connection(
            _Connection, target.host, target.port, ssl=context
        )
        self._open.add(connection)
        return connection

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        self._open.discard(connection)

    def close(self) -> None:
        for connection in list(self._open):
            self._discard(connection)
        self._idle.clear()
