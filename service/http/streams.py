"""A server-streaming call's answer over HTTP: newline-delimited JSON, grpc-gateway's form. HTTP
200, one `{"result": message}` line per message, written out as it is sent, and a last
`{"error": Status}` line when the stream fails after it started.

The response starts with the first message, not before: until then a failure (a bad key,
validation, TOO_MANY_STREAMS, the first read's NOT_FOUND) is still answered as a unary call's
is, with its HTTP status. Its type is `application/x-ndjson`, not grpc-gateway's
`application/json`: the body is a sequence of JSON values, which a JSON parser would refuse.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web
from google.protobuf import json_format
from google.protobuf.message import Message

NDJSON_TYPE = "application/x-ndjson"


class NdjsonStream:
    """The response of one streaming request, started by its first line."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self._response: web.StreamResponse | None = None

    @property
    def started(self) -> bool:
        return self._response is not None

    async def send(self, message: Message) -> None:
        """One `{"result": …}` line (the message as the unary routes write theirs)."""
        try:
            await self._write({"result": json_format.MessageToDict(message)})
        except ConnectionResetError:
            # The caller went away before aiohttp cancelled this handler: the call ends as one
            # cancelled by its caller, not as a failure of the service.
            raise asyncio.CancelledError from None

    async def fail(self, status: dict[str, Any]) -> None:
        """The last line, `{"error": status}` (a google.rpc.Status as JSON)."""
        with contextlib.suppress(ConnectionResetError):  # the caller went away: nobody reads it
            await self._write({"error": status})

    async def finish(self) -> web.StreamResponse:
        """Ends the body (an empty one for a stream that sent nothing); the response."""
        response = await self._start()
        with contextlib.suppress(ConnectionResetError):  # the caller went away after the last line
            await response.write_eof()
        return response

    async def _write(self, line: dict[str, Any]) -> None:
        response = await self._start()
        await response.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")

    async def _start(self) -> web.StreamResponse:
        if self._response is None:
            response = web.StreamResponse(status=200, headers={"Content-Type": NDJSON_TYPE})
            await response.prepare(self._request)
            self._response = response
        return self._response
