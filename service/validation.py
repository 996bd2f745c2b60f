"""Request validation with protovalidate: the rules live in the proto, checked in one place.

Every violated rule becomes one `domain.errors.Violation`, so the caller learns about all of them
in a single answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import protovalidate
from google.protobuf.message import Message
from protovalidate import FieldPathElementPb, FieldPathPb, ViolationPb

from domain.errors import Violation
from service.status import InputRejected

MALFORMED_REQUEST_REASON = "MALFORMED_REQUEST"
"""ErrorInfo.reason when the request's bytes are not a message of the method's request type."""


class RequestInvalid(InputRejected):
    """InvalidInput naming the request type: "invalid CreateProductRequest: unit_amount: …"."""

    def __init__(
        self, message_name: str, violations: Sequence[Violation], *, reason: str | None = None
    ) -> None:
        super().__init__(violations, reason=reason)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        self.message = f"invalid {message_name}: {summary}"
        self.args = (self.message,)


class MalformedRequest:
    """Stands in for a request whose bytes could not be parsed as the method's request message
    (corrupt wire format, invalid UTF-8 in a string field). The server's deserializer returns it
    instead of raising, so that the call still passes the drain and API-key checks and is then
    refused by `validate` as INVALID_ARGUMENT with details, rather than by gRPC as UNKNOWN."""

    def __init__(self, message_name: str) -> None:
        self.message_name = message_name


def validate(message: Message | MalformedRequest) -> None:
    """Raises RequestInvalid listing every violated rule of `message`; returns if it is valid."""
    if isinstance(message, MalformedRequest):
        problem = Violation("request", "is not a valid protobuf encoding of the request message")
        raise RequestInvalid(message.message_name, [problem], reason=MALFORMED_REQUEST_REASON)
    found = protovalidate.collect_violations(message)
    if found:
        raise RequestInvalid(message.DESCRIPTOR.name, [to_violation(v.proto) for v in found])


def to_violation(violation: ViolationPb) -> Violation:
    description = violation.message or violation.rule_id
    if violation.for_key:
        # The rule is about the map key itself, not the value stored under it.
        description = f"key: {description}"
    return Violation(field=render_path(violation.field), description=description)


def render_path(path: FieldPathPb | None) -> str:
    """`metadata["k"]`, `items[0].name`: the path as a caller would write it."""
    if path is None:
        return ""  # a message-level rule: no single field to blame
    parts = [element.field_name + _subscript(element) for element in path.elements]
    return ".".join(parts)


def _subscript(element: FieldPathElementPb) -> str:
    subscript = element.subscript
    if subscript is None:
        return ""
    if subscript.field == "string_key":
        escaped = str(subscript.value).replace("\\", "\\\\").replace('"', '\\"')
        return f'["{escaped}"]'
    if subscript.field == "bool_key":
        return f"[{str(subscript.value).lower()}]"
    return f"[{subscript.value}]"
