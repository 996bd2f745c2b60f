"""Validate decoded params against a small declarative description of each endpoint.

The descriptions (``param_tables.py``) are hand-written from Stripe's OpenAPI spec and a
test cross-checks them against ``spec3.json``; the spec itself is not read at runtime.
Values arrive as strings; validation also converts them (integers, booleans).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from stripe_emulator import errors

INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Str:
    max_length: int = 5000
    enum: tuple[str, ...] | None = None
    # Stripe treats "" as "unset"; only some params may be unset.
    allow_empty: bool = False


@dataclass(frozen=True)
class Int:
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Bool:
    pass


@dataclass(frozen=True)
class Metadata:
    """``metadata[key]=value`` (string values), or ``metadata=`` to clear."""


@dataclass(frozen=True)
class Arr:
    items: Spec


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, Spec] = field(default_factory=dict)
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Range:
    """``created=123`` or ``created[gte]=…&created[lt]=…`` (Stripe's ``range_query_specs``);
    converted to the bounds given, an exact value as ``gte`` and ``lte``."""


@dataclass(frozen=True)
class EventType:
    """The name of an event type (``checkout.session.completed``) or ``*`` for all of them."""


Spec: TypeAlias = Str | Int | Bool | Metadata | Arr | Obj | Range | EventType

RANGE_BOUNDS = ("gt", "gte", "lt", "lte")
_EVENT_TYPE = re.compile(r"\*|[a-z_]+(\.[a-z_]+)+")

EXPAND = Arr(Str())


def validate(spec: Obj, params: Mapping[str, Any]) -> dict[str, Any]:
    """Return the converted params, or raise the ``StripeError`` Stripe would answer."""
    return _object(spec, params, prefix="")


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _object(spec: Obj, value: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    for key in value:
        if key not in spec.fields:
            raise errors.parameter_unknown(_name(prefix, key))
    for key in spec.required:
        if key not in value:
            raise errors.parameter_missing(_name(prefix, key))
    return {key: _value(spec.fields[key], item, _name(prefix, key)) for key, item in value.items()}


def _value(spec: Spec, value: Any, param: str) -> Any:
    if isinstance(spec, Obj):
        if not isinstance(value, dict):
            raise errors.invalid_value(
                param, f"Invalid object: {param} must be an object", rule="type"
            )
        return _object(spec, value, param)
    if isinstance(spec, Arr):
        return _array(spec, value, param)
    if isinstance(spec, Metadata):
        return _metadata(value, param)
    if isinstance(spec, Range):
        return _range(value, param)
    if not isinstance(value, str):
        raise errors.invalid_value(param, f"Invalid {param}: expected a single value", rule="type")
    if isinstance(spec, Int):
        return _integer(spec, value, param)
    if isinstance(spec, Bool):
        return _boolean(value, param)
    if isinstance(spec, EventType):
        return _event_type(value, param)
    return _string(spec, value, param)


def _range(value: Any, param: str) -> dict[str, int]:
    if isinstance(value, str):
        exact = _integer(Int(), value, param)
        return {"gte": exact, "lte": exact}
    if not isinstance(value, dict):
        raise errors.invalid_value(param, f"Invalid {param}: expected an integer or a range")
    for key in value:
        if key not in RANGE_BOUNDS:
            raise errors.parameter_unknown(f"{param}[{key}]")
    return {key: _value(Int(), item, f"{param}[{key}]") for key, item in value.items()}


def _event_type(value: str, param: str) -> str:
    if not _EVENT_TYPE.fullmatch(value):
        raise errors.invalid_value(
            param, f"Invalid {param}: {value!r} is not the name of an event type", rule="enum"
        )
    return value


def _array(spec: Arr, value: Any, param: str) -> list[Any]:
    if value == "":
        return []
    if not isinstance(value, list):
        raise errors.invalid_value(param, f"Invalid array: {param} must be an array", rule="type")
    return [_value(spec.items, item, f"{param}[{index}]") for index, item in enumerate(value)]


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise errors.invalid_value(param, "Invalid object: metadata must be an object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise errors.invalid_value(f"{param}[{key}]", "Metadata values must be strings.")
        if len(key) > 40:
            raise errors.invalid_value(
                f"{param}[{key}]", "Metadata keys can be at most 40 characters long."
            )
        if len(item) > 500:
            raise errors.invalid_value(
                f"{param}[{key}]", "Metadata values can be at most 500 characters long."
            )
    if len(value) > 50:
        raise errors.invalid_value(param, "Metadata can have at most 50 keys.")
    # metadata[k]= (empty) unsets k.
    return {key: item for key, item in value.items() if item != ""}


def _integer(spec: Int, value: str, param: str) -> int:
    digits = value[1:] if value.startswith("-") else value
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        raise errors.invalid_integer(param, value)
    number = int(value)
    if abs(number) > INT64_MAX:
        raise errors.invalid_integer(param, value)
    if spec.minimum is not None and number < spec.minimum:
        raise errors.invalid_value(
            param, f"This value must be greater than or equal to {spec.minimum}."
        )
    if spec.maximum is not None and number > spec.maximum:
        raise errors.invalid_value(
            param, f"This value must be less than or equal to {spec.maximum}."
        )
    return number


def _boolean(value: str, param: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise errors.invalid_value(param, f"Invalid boolean: {value}", rule="type")


def _string(spec: Str, value: str, param: str) -> str:
    if value == "" and not spec.allow_empty:
        raise errors.invalid_empty(param)
    if spec.enum is not None and value not in spec.enum:
        raise errors.invalid_enum(param, spec.enum)
    if len(value) > spec.max_length:
        raise errors.invalid_value(
            param, f"Invalid string: {value[:20]}...; must be at most {spec.max_length} characters"
        )
    return value
