"""HTTP request → request message, by protobuf's canonical JSON mapping.

The body (for `body: "*"` the whole message, else one field), the path variables and, for the
fields neither of them covers, the query parameters. Field names are accepted both as written in
the proto (`external_product_id`) and as lowerCamelCase JSON names (`externalProductId`). Every
problem is an `InvalidInput` naming the field at fault, so the caller gets a BadRequest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from domain.errors import InvalidInput, Violation
from service.http.bindings import HttpBinding
from service.status import InputRejected

REASON_INVALID_JSON = "INVALID_JSON"
REASON_INVALID_QUERY = "INVALID_QUERY_PARAMETER"
REASON_INVALID_PATH = "INVALID_PATH_PARAMETER"

_INT_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
    }
)
_FLOAT_TYPES = frozenset({FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE})
# strconv.ParseBool's spellings, as grpc-gateway accepts them.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
# Well-known types whose JSON form is a string, so a query parameter can carry them.
_STRING_WKT = frozenset(
    {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
)
_WRAPPER_PREFIX = "google.protobuf."
_WRAPPERS = frozenset(
    f"{_WRAPPER_PREFIX}{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)

_PARSE_PREFIX = re.compile(r"^Failed to parse \S+ field: ")
_PARSE_SUFFIX = re.compile(r" at [\w.\"]+\.?$")


def _clean(error: Exception) -> str:
    """A json_format.ParseError message without its noise (prefix, location, field list)."""
    text = str(error).split("\n", 1)[0]
    text = _PARSE_PREFIX.sub("", text)
    text = _PARSE_SUFFIX.sub("", text)
    return text.rstrip(".") or "is invalid"


def find_field(message: Descriptor, name: str) -> FieldDescriptor | None:
    """The field called `name` in the proto or in JSON (lowerCamelCase)."""
    field = message.fields_by_name.get(name)
    if field is not None:
        return field
    for candidate in message.fields:
        if candidate.json_name == name:
            return candidate
    return None


def _message_type(field: FieldDescriptor) -> Descriptor:
    message = field.message_type
    if message is None:
        raise TypeError(f"{field.full_name} is not a message field")
    return message


def _is_map(field: FieldDescriptor) -> bool:
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE and _message_type(field).GetOptions().map_entry
    )


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _scalar(field: FieldDescriptor, raw: str) -> object:
    """One text value (path or query) as the JSON value json_format expects for `field`."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        name = _message_type(field).full_name
        if name in _STRING_WKT:
            return raw
        if name in _WRAPPERS:
            return _scalar(_message_type(field).fields_by_name["value"], raw)
        raise ValueError("cannot be set from a URL; send it in a JSON body")
    if kind in _INT_TYPES:
        try:
            return int(raw, 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
    if kind in _FLOAT_TYPES:
        if raw in ("NaN", "Infinity", "-Infinity"):
            return raw
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if kind == FieldDescriptor.TYPE_BOOL:
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if kind == FieldDescriptor.TYPE_ENUM:
        return int(raw) if raw.lstrip("-").isdigit() else raw
    return raw  # string, bytes (base64, as in JSON)


def _resolve(message: Descriptor, path: Iterable[str]) -> tuple[tuple[str, ...], FieldDescriptor]:
    """`a.b` (proto or JSON names) → canonical proto names and the last field; KeyError if none."""
    names: list[str] = []
    current: Descriptor | None = message
    field: FieldDescriptor | None = None
    for part in path:
        if current is None:
            raise KeyError(part)
        field = find_field(current, part)
        if field is None:
            raise KeyError(part)
        names.append(field.name)
        is_plain_message = (
            field.type == FieldDescriptor.TYPE_MESSAGE
            and not _is_map(field)
            and not _is_repeated(field)
            and _message_type(field).full_name not in _STRING_WKT | _WRAPPERS
        )
        current = _message_type(field) if is_plain_message else None
    if field is None:
        raise KeyError("")
    return tuple(names), field


def _put(target: dict[str, Any], names: tuple[str, ...], value: object) -> None:
    for name in names[:-1]:
        nested = target.setdefault(name, {})
        if not isinstance(nested, dict):  # a body value that is not an object: ParseDict says so
            return
        target = nested
    target[names[-1]] = value


def decode_json_body(raw: bytes) -> object:
    """The body as JSON; InvalidInput(INVALID_JSON) when it is not UTF-8 JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputRejected(
            [Violation("body", f"is not UTF-8: {exc.reason} at byte {exc.start}")],
            reason=REASON_INVALID_JSON,
        ) from None
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputRejected(
            [
                Violation(
                    "body", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                )
            ],
            reason=REASON_INVALID_JSON,
        ) from None
    except RecursionError:
        raise InputRejected(
            [Violation("body", "is nested too deeply")], reason=REASON_INVALID_JSON
        ) from None
    except ValueError as exc:
        # Not a JSONDecodeError: Python refuses integer literals longer than its digit limit.
        raise InputRejected(
            [Violation("body", f"is not acceptable JSON: {exc}")], reason=REASON_INVALID_JSON
        ) from None


def _canonical_body(message: Descriptor, body: object) -> dict[str, Any]:
    """A JSON object for the whole message, keyed by proto names; each field checked alone so
    that every field at fault is named."""
    if not isinstance(body, dict):
        raise InputRejected(
            [Violation("body", f"must be a JSON object, not {_json_kind(body)}")],
            reason=REASON_INVALID_JSON,
        )
    violations: list[Violation] = []
    canonical: dict[str, Any] = {}
    for key, value in body.items():
        field = find_field(message, key)
        if field is None:
            violations.append(Violation(key, f"unknown field of {message.name}"))
            continue
        if field.name in canonical:
            violations.append(
                Violation(field.name, f"given twice (as {field.name!r} and {field.json_name!r})")
            )
            continue
        try:
            json_format.ParseDict({field.name: value}, _new(message))
        except (json_format.ParseError, RecursionError) as exc:
            violations.append(Violation(field.name, _describe(field, value, exc)))
            continue
        canonical[field.name] = value
    if violations:
        raise InputRejected(violations, reason=REASON_INVALID_JSON)
    return canonical


def _expected(field: FieldDescriptor) -> str:
    """What the canonical JSON mapping accepts for `field`, in words."""
    if _is_map(field):
        return "a JSON object"
    if _is_repeated(field):
        return "a JSON array"
    kind = field.type
    if kind in _INT_TYPES:
        return "an integer (a JSON number or a decimal string)"
    if kind in _FLOAT_TYPES:
        return "a number"
    if kind == FieldDescriptor.TYPE_BOOL:
        return "true or false"
    if kind == FieldDescriptor.TYPE_ENUM:
        return "an enum value name (or its number)"
    if kind == FieldDescriptor.TYPE_BYTES:
        return "a base64 string"
    if kind == FieldDescriptor.TYPE_MESSAGE:
        name = _message_type(field).full_name
        if name == "google.protobuf.Timestamp":
            return "an RFC 3339 timestamp string"
        if name == "google.protobuf.Duration":
            return 'a duration string such as "1.5s"'
        return "a JSON object"
    return "a string"


def _describe(field: FieldDescriptor, value: object, error: Exception) -> str:
    scalar_kind = not _is_repeated(field) and field.type != FieldDescriptor.TYPE_MESSAGE
    got = _json_kind(value)
    if (scalar_kind and isinstance(value, dict | list)) or value is None:
        return f"must be {_expected(field)}, not {got}"
    if field.type == FieldDescriptor.TYPE_STRING and scalar_kind and not isinstance(value, str):
        return f"must be {_expected(field)}, not {got}"
    return f"must be {_expected(field)}: {_clean(error)}"


def _new(message: Descriptor) -> Message:
    return message_factory.GetMessageClass(message)()


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


def _oneof_conflicts(
    message: Descriptor, fields: Mapping[str, Any], prefix: str = ""
) -> list[Violation]:
    """One violation per oneof given more than one member (by body, path and query together),
    named after the oneof: in the binary encoding the last member wins silently, in JSON it is an
    error the caller should see in its own terms. Nested messages are checked too."""
    violations: list[Violation] = []
    for oneof in message.oneofs:
        given = [field.name for field in oneof.fields if fields.get(field.name) is not None]
        if len(given) > 1:
            members = ", ".join(field.name for field in oneof.fields)
            violations.append(Violation(prefix + oneof.name, f"set only one of {members}"))
    for name, value in fields.items():
        field = message.fields_by_name.get(name)
        if (
            field is not None
            and isinstance(value, dict)
            and field.type == FieldDescriptor.TYPE_MESSAGE
            and not _is_map(field)
            and not _is_repeated(field)
        ):
            violations.extend(_oneof_conflicts(_message_type(field), value, f"{prefix}{name}."))
    return violations


def build_request(
    binding: HttpBinding,
    *,
    path_params: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: object | None,
) -> Message:
    """The request message for `binding` from the decoded pieces of an HTTP request.

    `body` is the decoded JSON (None when the binding takes no body). Raises InvalidInput.
    """
    message = binding.method.input_type
    fields: dict[str, Any] = {}
    if binding.body == "*":
        fields = _canonical_body(message, body)
    elif binding.body:
        body_field = message.fields_by_name[binding.body]
        try:
            json_format.ParseDict({body_field.name: body}, _new(message))
        except (json_format.ParseError, RecursionError) as exc:
            raise InputRejected(
                [Violation(body_field.name, _clean(exc))], reason=REASON_INVALID_JSON
            ) from None
        fields[body_field.name] = body

    # Path variables win over the body, as grpc-gateway does.
    path_set: set[tuple[str, ...]] = set()
    violations: list[Violation] = []
    for variable in binding.variables:
        names, field = _resolve(message, variable.field_path)
        try:
            value = _scalar(field, path_params[variable.route_name])
        except ValueError as exc:
            violations.append(Violation(".".join(names), str(exc)))
            continue
        _put(fields, names, value)  # over a body field of the same name: the path decides
        path_set.add(names)
    if violations:
        raise InputRejected(violations, reason=REASON_INVALID_PATH)

    grouped: dict[tuple[str, ...], list[str]] = {}
    spelled: dict[tuple[str, ...], str] = {}
    for key, raw in query:
        try:
            names, field = _resolve(message, key.split("."))
        except KeyError:
            violations.append(Violation(key, f"unknown query parameter for {message.name}"))
            continue
        if binding.body == "*" or (binding.body and names[0] == binding.body):
            violations.append(Violation(key, "is set by the request body, not the query"))
            continue
        if names in path_set:
            violations.append(Violation(key, "is set by the URL path, not the query"))
            continue
        if names in spelled and spelled[names] != key:
            violations.append(Violation(".".join(names), "given under two names"))
            continue
        spelled[names] = key
        grouped.setdefault(names, []).append(raw)
    for names, raws in grouped.items():
        _, field = _resolve(message, names)
        dotted = ".".join(names)
        if _is_map(field):
            violations.append(Violation(dotted, "a map cannot be set from the query"))
            continue
        if not _is_repeated(field) and len(raws) > 1:
            violations.append(Violation(dotted, "given more than once"))
            continue
        try:
            converted = [_scalar(field, raw) for raw in raws]
        except ValueError as exc:
            violations.append(Violation(dotted, str(exc)))
            continue
        _put(fields, names, converted if _is_repeated(field) else converted[0])
    if violations:
        raise InputRejected(violations, reason=REASON_INVALID_QUERY)

    violations = _oneof_conflicts(message, fields)
    if violations:
        raise InvalidInput(violations)  # VALIDATION_FAILED, as a broken proto rule is

    request = _new(message)
    try:
        json_format.ParseDict(fields, request)
    except (json_format.ParseError, RecursionError) as exc:
        reason = REASON_INVALID_JSON if binding.body else REASON_INVALID_QUERY
        raise InputRejected([Violation("", _clean(exc))], reason=reason) from None
    return request
