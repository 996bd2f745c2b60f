"""A raw HTTP/2 client for the gRPC door's hardening tests: asyncio sockets and the `h2` state
machine with every outbound check off, so that it sends what a gRPC library refuses to (bytes
that are no header value, a metadata entry too long, a malformed length-prefixed message, a
flood of pings, a preface and nothing after it) and reads the answer frame by frame."""

from __future__ import annotations

import asyncio
import base64
import struct
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from google.rpc import status_pb2
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    TrailersReceived,
)
from h2.exceptions import ProtocolError

Headers = Sequence[tuple[bytes, bytes]]
CLOSE_WITHIN = 10.0  # the longest a test waits on the server to answer or to close


@dataclass
class Answer:
    """What the server said on one stream: its headers and trailers (merged), its DATA, the
    RST_STREAM code if it reset the stream, the GOAWAY code if it closed the connection."""

    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytes = b""
    reset: int | None = None
    goaway: int | None = None

    @property
    def grpc_status(self) -> int | None:
        value = self.headers.get(b"grpc-status")
        return int(value) if value is not None else None

    @property
    def grpc_message(self) -> str:
        """grpc-message, percent-decoded as gRPC encodes it."""
        return urllib.parse.unquote(self.headers.get(b"grpc-message", b"").decode("latin-1"))

    @property
    def details(self) -> status_pb2.Status | None:
        """The google.rpc.Status of grpc-status-details-bin, if sent."""
        raw = self.headers.get(b"grpc-status-details-bin")
        if raw is None:
            return None
        return status_pb2.Status.FromString(base64.b64decode(raw + b"=" * (-len(raw) % 4)))

    def everything(self) -> bytes:
        """Every byte of the answer, to look for what must not be in it."""
        return b"".join(name + b": " + value for name, value in self.headers.items()) + self.data


def grpc_message(payload: bytes, *, compressed: bool = False, length: int | None = None) -> bytes:
    """A length-prefixed gRPC message: the compressed flag, the length (the payload's, unless
    `length` lies), the payload."""
    return struct.pack(">BI", int(compressed), len(payload) if length is None else length) + payload


def call_headers(
    method: str, *metadata: tuple[bytes, bytes], content_type: bytes = b"application/grpc"
) -> list[tuple[bytes, bytes]]:
    """The request headers of a unary call to payments.v1.PaymentService/`method` (or to
    `method` itself when it is a path, /package.Service/Method), then `metadata` as given (no
    check: any bytes)."""
    path = method if method.startswith("/") else f"/payments.v1.PaymentService/{method}"
    return [
        (b":method", b"POST"),
        (b":scheme", b"http"),
        (b":path", path.encode()),
        (b":authority", b"payments"),
        (b"content-type", content_type),
        (b"te", b"trailers"),
        *metadata,
    ]


class RawConnection:
    """One HTTP/2 connection to the gRPC port, driven by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        config = H2Configuration(
            client_side=True,
            header_encoding=None,
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
            validate_inbound_headers=False,
        )
        self.h2 = H2Connection(config)
        self.goaways: list[ConnectionTerminated] = []

    @classmethod
    async def open(cls, address: str) -> RawConnection:
        """Connected, the client preface and SETTINGS sent, the server's SETTINGS received."""
        connection = await cls.connect(address)
        connection.h2.initiate_connection()
        await connection.flush()
        while not any(isinstance(e, RemoteSettingsChanged) for e in await connection.events()):
            pass
        return connection

    @classmethod
    async def connect(cls, address: str) -> RawConnection:
        """TCP only: nothing sent yet."""
        host, _, port = address.rpartition(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    def send_raw(self, data: bytes) -> None:
        self._writer.write(data)

    def closing(self) -> bool:
        """True once the connection is closed (by either side), or closing."""
        return self._writer.is_closing() or self._reader.at_eof()

    async def flush(self) -> None:
        self._writer.write(self.h2.data_to_send())
        await self._writer.drain()

    async def events(self) -> list[Event]:
        """The events of the next bytes the server sends (acknowledged as h2 does); EOFError
        once the server has closed the connection."""
        try:
            data = await self._reader.read(65536)
        except ConnectionError:
            data = b""
        if not data:
            raise EOFError("the server closed the connection")
        try:
            received = self.h2.receive_data(data)
        except ProtocolError as error:  # frames after the server's GOAWAY (a PING, say)
            raise EOFError("the server closed the connection, then sent more") from error
        self.goaways += [event for event in received if isinstance(event, ConnectionTerminated)]
        await self.flush()
        return received

    async def call(
        self, headers: Headers, body: bytes | None = None, *, half_close: bool = True
    ) -> Answer:
        """One stream: `headers`, then `body` as one DATA frame, the last frame ending the
        stream unless not `half_close`; what the server answered on it, within CLOSE_WITHIN."""
        stream = self.h2.get_next_available_stream_id()
        self.h2.send_headers(stream, list(headers), end_stream=body is None and half_close)
        if body is not None:
            self.h2.send_data(stream, body, end_stream=half_close)
        await self.flush()
        async with asyncio.timeout(CLOSE_WITHIN):
            return await self._answer_on(stream)

    async def _answer_on(self, stream: int) -> Answer:
        answer = Answer()
        while True:
            try:
                received = await self.events()
            except EOFError:
                return answer
            for event in received:
                if isinstance(event, ConnectionTerminated):
                    answer.goaway = event.error_code
                    return answer
                if getattr(event, "stream_id", None) != stream:
                    continue
                if isinstance(event, ResponseReceived | TrailersReceived):
                    answer.headers.update(dict(event.headers))
                elif isinstance(event, DataReceived):
                    answer.data += event.data
                    self.h2.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, StreamReset):
                    answer.reset = event.error_code
                    return answer
                elif isinstance(event, StreamEnded):
                    return answer

    async def closed_by_server(self, within: float = CLOSE_WITHIN) -> bool:
        """Reads (and answers, as h2 does) until the server closes the connection: True then,
        TimeoutError after `within` seconds."""
        async with asyncio.timeout(within):
            while True:
                try:
                    await self.events()
                except EOFError:
                    return True

    async def eof(self, within: float = CLOSE_WITHIN) -> bool:
        """For a connection that never spoke HTTP/2: reads (ignoring what comes) until the
        server closes it: True then, TimeoutError after `within` seconds."""
        async with asyncio.timeout(within):
            while True:
                try:
                    if not await self._reader.read(65536):
                        return True
                except ConnectionError:
                    return True

    def close(self) -> None:
        self._writer.close()
