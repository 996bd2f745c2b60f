"""HTTP request → request message by protobuf's JSON mapping, in the forms `routes` admits: the
JSON body is the whole message; path variables set top-level string fields, query parameters
top-level string, integer or enum fields, a repeated one by repeating the parameter
(`?statuses=A&statuses=B`, as grpc-gateway reads it). Names as in the proto or in
lowerCamelCase both work. Every problem is an EdgeError naming each field at fault (a
BadRequest)."""

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
# What the canonical JSON mapping accepts, in words, for the field types requests use.
_EXPECTED = {
    _F.TYPE_INT64: "an integer (a JSON number or a decimal string)",
    _F.TYPE_INT32: "an integer",
    _F.TYPE_BOOL: "true or false",
    _F.TYPE_ENUM: "an enum value name (or its number)",
    _F.TYPE_MESSAGE: "a JSON object",
}
# What json.loads makes of each JSON type, in words.
_JSON_KINDS: dict[type, str] = {
    list: "an array", dict: "an object", str: "a string", bool: "a boolean",
    int: "a number", float: "a number", type(None): "null",
}  # fmt: skip
# The field types a query parameter may set (a repeated one too, once per value).
_QUERY_TYPES = frozenset({_F.TYPE_STRING, _F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_ENUM})
_PARSE_PREFIX = re.compile(r"^Failed to parse \S+ field: ")
_PARSE_SUFFIX = re.compile(r" at [\w.\"\[\]]+\.?$")


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
    json_format.ParseDict(fields, request)  # each field was checked alone: this cannot fail
    return request


def decode_json_body(raw: bytes) -> object:
    """The body as JSON; INVALID_JSON when it is not UTF-8 JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
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
    """Query parameters set top-level string, integer and enum fields (the kinds the contract's
    GET routes take; an integer as the JSON mapping's decimal string, an enum by its value's
    name), a repeated field once per value; anything else is named in an
    INVALID_QUERY_PARAMETER."""
    message = route.rpc.method.input_type
    violations: list[Violation] = []
    fields: dict[str, Any] = {}
    for key, value in query:
        field = _find_field(message, key)
        problem = _query_problem(route, field, fields)
        if field is not None and problem is None:
            problem = _query_value_problem(message, field, value)
        if field is None or problem is not None:
            violations.append(Violation(key, problem or ""))
        elif field.is_repeated:
            fields.setdefault(field.name, []).append(value)
        else:
            fields[field.name] = value
    if violations:
        raise invalid(INVALID_QUERY_PARAMETER, violations, "request")
    return fields


def _query_problem(
    route: HttpRoute, field: FieldDescriptor | None, given: Mapping[str, object]
) -> str | None:
    if field is None:
        return f"unknown query parameter for {route.rpc.method.input_type.name}"
    if route.has_body:
        return "is set by the request body, not the query"
    if field.name in route.path_fields:
        return "is set by the URL path, not the query"
    if field.type not in _QUERY_TYPES:
        return "cannot be set from the query; send a top-level string, integer or enum field"
    if field.name in given and not field.is_repeated:
        return "given more than once"
    return None


def _query_value_problem(message: Descriptor, field: FieldDescriptor, value: str) -> str | None:
    """What is wrong with one query value of `field` (one item of a repeated field)."""
    if not field.is_repeated:
        return _parse_problem(message, field, value)
    try:
        json_format.ParseDict({field.name: [value]}, _new(message))
    except json_format.ParseError as exc:
        return f"must be {_EXPECTED.get(field.type, 'a string')}: {_clean(exc)}"
    return None


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
    return _EXPECTED.get(field.type, "a string")


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
    return _JSON_KINDS.get(type(value), type(value).__name__)
