"""A forward HTTP proxy on loopback, as a deployment's egress proxy (STRIPE_PROXY_URL), and a TLS
front for the emulator, as Stripe's https:// is.

The proxy takes what a client sends a proxy: an absolute-form request (`GET http://host:port/v1/…
HTTP/1.1`, for a plain-http URL), forwarded to its host one request per connection, or CONNECT
host:port (for an https:// URL), a tunnel of bytes it cannot read. It records both. Made with
credentials, it answers 407 to a request without exactly their Proxy-Authorization (Basic), as
Squid and the like do, and records that too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import trustme

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Headers = list[tuple[str, str]]

REFUSED = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b'Proxy-Authenticate: Basic realm="egress"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
)
TUNNEL_OPEN = b"HTTP/1.1 200 Connection established\r\n\r\n"
# Headers for one hop only (RFC 9110 7.6.1): not forwarded. Connection: close is added instead.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "upgrade"}


@dataclass
class LoopbackProxy:
    address: str
    """127.0.0.1:port"""
    credentials: tuple[str, str] | None
    scheme: str = "http"
    """https: TLS to the proxy itself."""
    forwarded: list[str] = field(default_factory=list)
    """"METHOD absolute-URL" of each request forwarded."""
    tunnels: list[str] = field(default_factory=list)
    """"host:port" of each CONNECT tunnel opened."""
    refused: int = 0
    """Requests answered 407 (no or other credentials)."""

    @property
    def url(self) -> str:
        """As STRIPE_PROXY_URL would name it: with its credentials, percent-encoded."""
        return self.url_signed_in_as(*self.credentials) if self.credentials else self.url_bare

    @property
    def url_bare(self) -> str:
        return f"{self.scheme}://{self.address}"

    def url_signed_in_as(self, user: str, password: str) -> str:
        signed_in = f"{quote(user, safe='')}:{quote(password, safe='')}"
        return f"{self.scheme}://{signed_in}@{self.address}"

    def accepts(self, headers: Headers) -> bool:
        if self.credentials is None:
            return True
        token = base64.b64encode(":".join(self.credentials).encode()).decode("ascii")
        return header(headers, "proxy-authorization") == f"Basic {token}"


@asynccontextmanager
async def forward_proxy(
    credentials: tuple[str, str] | None = None, tls: trustme.CA | None = None
) -> AsyncIterator[LoopbackProxy]:
    """A forward proxy on 127.0.0.1:0, asking for `credentials` (user, password) if given; with
    `tls`, over TLS with a certificate of that CA."""
    proxy: LoopbackProxy | None = None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert proxy is not None
        request_line, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        method, target, version = request_line.split(" ")
        if not proxy.accepts(headers):
            proxy.refused += 1
            writer.write(REFUSED)
            await writer.drain()
        elif method == "CONNECT":
            proxy.tunnels.append(target)
            host, _, port = target.rpartition(":")
            upstream = await asyncio.open_connection(host, int(port))
            writer.write(TUNNEL_OPEN)
            await splice((reader, writer), upstream)
        else:
            proxy.forwarded.append(f"{method} {target}")
            await forward(method, target, version, headers, (reader, writer))

    async with serving(handle, server_context(tls) if tls else None) as address:
        proxy = LoopbackProxy(address, credentials, "https" if tls else "http")
        yield proxy


@asynccontextmanager
async def tls_front(backend: str, ca: trustme.CA) -> AsyncIterator[str]:
    """https://127.0.0.1:port, TLS with a certificate of `ca`, relaying the bytes to the
    plain-http server at `backend` (http://host:port)."""
    parts = urlsplit(backend)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection(parts.hostname, parts.port)
        await splice((reader, writer), upstream)

    async with serving(handle, server_context(ca)) as address:
        yield f"https://{address}"


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """TLS for a server on 127.0.0.1, its certificate issued by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


async def forward(
    method: str,
    target: str,
    version: str,
    headers: Headers,
    client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """The request to its host in origin-form, its answer back; then both connections close."""
    reader, writer = client
    parts = urlsplit(target)
    body = await reader.readexactly(int(header(headers, "content-length") or 0))
    up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        up_writer.write(head(f"{method} {path} {version}", end_to_end(headers)) + body)
        status, answer_headers = parse_head(await up_reader.readuntil(b"\r\n\r\n"))
        writer.write(head(status, end_to_end(answer_headers)))
        while chunk := await up_reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        await closed(up_writer)


async def splice(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    b: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Bytes both ways until either side ends; then both are closed."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()

    pipes = [asyncio.ensure_future(pipe(a[0], b[1])), asyncio.ensure_future(pipe(b[0], a[1]))]
    try:
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
    finally:
        b[1].close()  # before any await: a cancellation may come at the next one
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)
        await closed(b[1])


@asynccontextmanager
async def serving(handle: Handler, context: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """`handle` serving each connection to 127.0.0.1:port (yielded) until the block ends; then
    every connection still open is cut. A failing connection is closed, nothing more."""
    handlers: set[asyncio.Task[None]] = set()

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass  # the client or the upstream went away: as a proxy would, drop the connection
        finally:
            await closed(writer)
            handlers.discard(task)

    server = await asyncio.start_server(guarded, "127.0.0.1", 0, ssl=context)
    try:
        host, port = server.sockets[0].getsockname()[:2]
        yield f"{host}:{port}"
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


async def closed(writer: asyncio.StreamWriter) -> None:
    """`writer`'s connection closed, its socket too (TLS: after the close_notify exchange)."""
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


def parse_head(raw: bytes) -> tuple[str, Headers]:
    """The request or status line of a message's head, and its headers."""
    first, *lines = raw.decode("latin-1").split("\r\n")[:-2]
    fields = (line.partition(":") for line in lines)
    return first, [(name.strip(), value.strip()) for name, _, value in fields]


def head(first_line: str, headers: Headers) -> bytes:
    lines = [first_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def end_to_end(headers: Headers) -> Headers:
    """The headers a proxy passes on, with Connection: close (one request per connection)."""
    return [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP] + [("Connection", "close")]


def header(headers: Headers, name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)
