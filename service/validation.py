"""Request validation with protovalidate: the rules live in the proto, checked in one place.

Every violated rule becomes one `domain.errors.Violation`, so the caller learns about all of them
in a single answer.
"""

from __future__ import annotations

import protovalidate
from buf.validate import validate_pb2
from google.protobuf.message import Message
from protovalidate import FieldPathElementPb, FieldPathPb, ViolationPb

from domain.errors import Violation
from service.errors import VALIDATION_FAILED, invalid


def validate(message: Message) -> Message:
    """`message` when it is valid; else raises VALIDATION_FAILED listing every violated rule."""
    found = protovalidate.collect_violations(message)
    if found:
        violations = [each for v in found for each in _field_violations(v.proto, message)]
        raise invalid(VALIDATION_FAILED, violations, message.DESCRIPTOR.name)
    return message


def _field_violations(violation: ViolationPb, message: Message) -> list[Violation]:
    """A message-level oneof rule (`(buf.validate.message).oneof`) blames no field; its
    violation is given to each field it names, so that the caller sees which fields to fix."""
    if violation.field is None and violation.rule_id == "message.oneof":
        rules = message.DESCRIPTOR.GetOptions().Extensions[validate_pb2.message].oneof
        named = [rule.fields for rule in rules if ", ".join(rule.fields) in violation.message]
        if len(named) == 1:
            return [Violation(field, violation.message) for field in named[0]]
    return [to_violation(violation)]


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
