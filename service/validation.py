"""Request validation with protovalidate: the rules live in the proto, checked in one place.

Every violated rule becomes one `domain.errors.Violation`, so the caller learns about all of them
in a single answer.
"""

from __future__ import annotations

import protovalidate
from google.protobuf.message import Message
from protovalidate import FieldPathElementPb, FieldPathPb, ViolationPb

from domain.errors import Violation
from service.errors import VALIDATION_FAILED, invalid


def validate(message: Message) -> Message:
    """`message` when it is valid; else raises VALIDATION_FAILED listing every violated rule."""
    found = protovalidate.collect_violations(message)
    if found:
        raise invalid(
            VALIDATION_FAILED, [to_violation(v.proto) for v in found], message.DESCRIPTOR.name
        )
    return message


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
