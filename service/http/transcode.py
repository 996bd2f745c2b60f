"""HTTP request → request message, by protobuf's canonical JSON mapping, for the route forms
`routes` admits: the JSON body is the whole message, path variables and query parameters set
top-level scalar fields. Field names are accepted both as written in the proto
(`external_product_id`) and as lowerCamelCase JSON names (`externalProductId`). Every problem is
an EdgeError naming each field at fault, so the caller gets a BadRequest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from domain.errors import Violation
from service.errors import INVALID_JSON, INVALID_QUERY_PARAMETER, VALIDATION_FAILED, invalid
from service.http.routes import HttpRoute

_F = FieldDescriptor
_INT_TYPES = frozenset(
    {_F.TYPE_INT32, _F.TYPE_SINT32, _F.TYPE_SFIXED32, _F.TYPE_UINT32, _F.TYPE_FIXED32}
    | {_F.TYPE_INT64, _F.TYPE_SINT64, _F.TYPE_SFIXED64, _F.TYPE_UINT64, _F.TYPE_FIXED64}
)
_FLOAT_TYPES = frozenset({_F.TYPE_FLOAT, _F.TYPE_DOUBLE})
# strconv.ParseBool's spellings, as grpc-gateway accepts them.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_PARSE_PREFIX = re.compile(r"^Failed to parse \S+ field: ")
_PARSE_SUFFIX = re.compile(r" at [\w.\"]+\.?$")


def build_request(
    route: HttpRoute,
    *,
    path_params: Mapping[str, str],
    query: Iterable[tuple[str, str]],
    body: object | None,
) -> Message:
    """The request message for `route` from the decoded pieces of an HTTP request (`body` is
    the decoded JSON, None for a route without one)."""
    message = route.rpc.method.input_type
    fields = _body_fields(message, body) if route.has_body else {}
    fields.update({name: path_params[name] for name in route.path_fields})
    fields.update(_query_fields(route, query))
    given_twice = [
        Violation(oneof.name, f"set only one of {', '.join(f.name for f in oneof.fields)}")
        for oneof in message.oneofs
        if sum(fields.get(f.name) is not None for f in oneof.fields) > 1
    ]
    if given_twice:
        raise invalid(VALIDATION_FAILED, given_twice, message.name)
    request = _new(message)
    try:
        json_format.ParseDict(fields, request)
    except json_format.ParseError as exc:  # a query value json_format refuses (an enum name)
        problem = INVALID_JSON if route.has_body else INVALID_QUERY_PARAMETER
        raise invalid(problem, [Violation("", _clean(exc))], "request") from None
    return request


def decode_json_body(raw: bytes) -> object:
    """The body as JSON; INVALID_JSON when it is not UTF-8 JSON."""
    try:
        return json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except UnicodeDecodeError as exc:
        problem = f"is not UTF-8: {exc.reason} at byte {exc.start}"
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        problem = "is nested too deeply"
    except ValueError as exc:
        # Not a JSONDecodeError: Python refuses integer literals longer than its digit limit.
        problem = f"is not acceptable JSON: {exc}"
    raise invalid(INVALID_JSON, [Violation("body", problem)], "request")


def _body_fields(message: Descriptor, body: object) -> dict[str, Any]:
    """The body as a JSON object keyed by proto names; each field checked alone so that every
    field at fault is named."""
    if not isinstance(body, dict):
        not_object = Violation("body", f"must be a JSON object, not {_json_kind(body)}")
        raise invalid(INVALID_JSON, [not_object], "request")
    violations: list[Violation] = []
    fields: dict[str, Any] = {}
    for key, value in body.items():
        field = _find_field(message, key)
        if field is None:
            violations.append(Violation(key, f"unknown field of {message.name}"))
        elif field.name in fields:
            violations.append(
                Violation(field.name, f"given twice (as {field.name!r} and {field.json_name!r})")
            )
        elif (problem := _parse_problem(message, field, value)) is not None:
            violations.append(Violation(field.name, problem))
        else:
            fields[field.name] = value
    if violations:
        raise invalid(INVALID_JSON, violations, "request")
    return fields


def _query_fields(route: HttpRoute, query: Iterable[tuple[str, str]]) -> dict[str, Any]:
    message = route.rpc.method.input_type
    violations: list[Violation] = []
    fields: dict[str, Any] = {}
    for key, raw in query:
        field = _find_field(message, key)
        problem = _query_problem(route, field, fields)
        if field is not None and problem is None:
            try:
                fields[field.name] = _scalar(field, raw)
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            violations.append(Violation(key, problem))
    if violations:
        raise invalid(INVALID_QUERY_PARAMETER, violations, "request")
    return fields


def _query_problem(
    route: HttpRoute, field: FieldDescriptor | None, given: Mapping[str, Any]
) -> str | None:
    if field is None:
        return f"unknown query parameter for {route.rpc.method.input_type.name}"
    if route.has_body:
        return "is set by the request body, not the query"
    if field.name in route.path_fields:
        return "is set by the URL path, not the query"
    if field.is_repeated or field.type == _F.TYPE_MESSAGE:
        return "cannot be set from the query; this route takes top-level scalar fields only"
    if field.name in given:
        return "given more than once"
    return None


def _scalar(field: FieldDescriptor, raw: str) -> object:
    """One query value as the JSON value json_format expects for `field`."""
    kind = field.type
    if kind in _INT_TYPES:
        try:
            return int(raw, 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {raw!r}") from None
    if kind in _FLOAT_TYPES:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"expected a number, got {raw!r}") from None
    if kind == _F.TYPE_BOOL:
        if raw in _TRUE or raw in _FALSE:
            return raw in _TRUE
        raise ValueError(f"expected true or false, got {raw!r}")
    if kind == _F.TYPE_ENUM:
        return int(raw) if raw.lstrip("-").isdigit() else raw
    return raw  # string, bytes (base64, as in JSON)


def _find_field(message: Descriptor, name: str) -> FieldDescriptor | None:
    """The field called `name` in the proto or in JSON (lowerCamelCase)."""
    field = message.fields_by_name.get(name)
    if field is not None:
        return field
    return next((f for f in message.fields if f.json_name == name), None)


def _parse_problem(message: Descriptor, field: FieldDescriptor, value: object) -> str | None:
    """What is wrong with `value` for `field` alone, in the caller's terms; None if nothing."""
    try:
        json_format.ParseDict({field.name: value}, _new(message))
    except (json_format.ParseError, RecursionError) as exc:
        return _describe(field, value, exc)
    return None


def _expected(field: FieldDescriptor) -> str:
    """What the canonical JSON mapping accepts for `field`, in words."""
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        return "a JSON object"
    if field.is_repeated:
        return "a JSON array"
    kind = field.type
    words = {
        _F.TYPE_BOOL: "true or false",
        _F.TYPE_ENUM: "an enum value name (or its number)",
        _F.TYPE_BYTES: "a base64 string",
        _F.TYPE_MESSAGE: "a JSON object",
    }
    if kind in _INT_TYPES:
        return "an integer (a JSON number or a decimal string)"
    if kind in _FLOAT_TYPES:
        return "a number"
    return words.get(kind, "a string")


def _describe(field: FieldDescriptor, value: object, error: Exception) -> str:
    scalar_kind = not field.is_repeated and field.type != _F.TYPE_MESSAGE
    wrong_shape = scalar_kind and isinstance(value, dict | list)
    not_a_string = field.type == _F.TYPE_STRING and scalar_kind and not isinstance(value, str)
    if wrong_shape or not_a_string or value is None:
        return f"must be {_expected(field)}, not {_json_kind(value)}"
    return f"must be {_expected(field)}: {_clean(error)}"


def _clean(error: Exception) -> str:
    """A json_format.ParseError message without its noise (prefix, location)."""
    text = str(error).split("\n", 1)[0]
    text = _PARSE_SUFFIX.sub("", _PARSE_PREFIX.sub("", text))
    return text.rstrip(".") or "is invalid"


def _new(message: Descriptor) -> Message:
    return message_factory.GetMessageClass(message)()


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", dict: "an object"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return kinds.get(type(value), type(value).__name__)
