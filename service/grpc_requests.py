"""A call's request message on the gRPC door, read by the service itself: every method is
request-streaming on the wire, whatever its contract says. gRPC's own unary reading sends no
status at all when a call ends without a whole message (the client waits forever), and answers
bytes that are no message of the request type with UNKNOWN before any code of ours runs.
Reading the message ourselves, the service refuses both as MALFORMED_REQUEST, with details.
(The iterator grpcio passes a handler as `requests` goes unused: `context.read()` reads the same
messages.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError, Message

from domain.errors import Violation
from service.errors import MALFORMED_REQUEST, invalid

if TYPE_CHECKING:  # the grpc classes are generic in the stubs only
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_MALFORMED = "is not a valid protobuf encoding of the request message"
_MISSING = "is missing: the call ended before its request message was complete"


def tolerant_parser(message_type: type[Message]) -> Callable[[bytes], Message | None]:
    """`message_type.FromString`, but undecodable bytes give None, not an exception (which gRPC
    would answer with UNKNOWN): `first_message` then refuses them."""

    def parse(data: bytes) -> Message | None:
        try:
            return message_type.FromString(data)
        except DecodeError:
            return None

    return parse


async def first_message(context: Context, type_name: str) -> Message:
    """The call's first message; an EdgeError (MALFORMED_REQUEST) when its bytes were no
    message of the request type (the parser gave None), or when the call ended without a whole
    message (EOF: none at all, a length prefix promising more than came, a cut prefix)."""
    read: Message | object | None = await context.read()
    if isinstance(read, Message):
        return read
    problem = Violation("request", _MISSING if read is grpc.aio.EOF else _MALFORMED)
    raise invalid(MALFORMED_REQUEST, [problem], type_name)
