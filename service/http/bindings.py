"""HTTP routes derived from the `google.api.http` rules of a service's descriptors.

Nothing here names an RPC: every method of the service that carries a rule (and each of the
rule's `additional_bindings`) becomes one route, so a new RPC with a rule is served without new
routing code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import (
    Descriptor,
    FieldDescriptor,
    MethodDescriptor,
    ServiceDescriptor,
)

_VERBS = ("get", "put", "post", "delete", "patch")

# `{field.path}` or `{field.path=segments}` inside a path template.
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)(?:=([^}]*))?\}")

# The google.api.http extension. googleapis-common-protos' .pyi types it as a plain
# FieldDescriptor, which Message.Extensions does not accept; the value read is an HttpRule.
HTTP_RULE: Any = annotations_pb2.http


class BindingError(ValueError):
    """A `google.api.http` rule this transcoder cannot serve: a bug in the proto, found at start."""


@dataclass(frozen=True, slots=True)
class PathVariable:
    """One `{field}` of a template: aiohttp's name for it and the request field it sets."""

    route_name: str
    field_path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HttpBinding:
    """One HTTP route of one RPC."""

    method: MethodDescriptor
    http_method: str  # GET, POST, …
    template: str  # as written in the proto: /v1/products/{product_id}
    route_path: str  # for aiohttp: /v1/products/{p0}
    variables: tuple[PathVariable, ...]
    body: str  # "" (no body), "*" (the whole request) or a top-level field name
    response_body: str  # "" (the whole response) or a top-level field name

    @property
    def rpc_name(self) -> str:
        return self.method.full_name


def _rule_pattern(rule: http_pb2.HttpRule) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise BindingError("an HTTP rule without a pattern")
    if kind == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    if kind not in _VERBS:
        raise BindingError(f"unsupported HTTP rule pattern {kind!r}")
    return kind.upper(), str(getattr(rule, kind))


def _field_path(message: Descriptor, dotted: str, template: str) -> tuple[str, ...]:
    """Checks that `a.b` names singular scalar fields, through singular message fields."""
    names = tuple(dotted.split("."))
    current = message
    for i, name in enumerate(names):
        field = current.fields_by_name.get(name)
        if field is None:
            raise BindingError(f"{template}: {current.full_name} has no field {name!r}")
        last = i == len(names) - 1
        if field.is_repeated:
            raise BindingError(f"{template}: path variable {dotted!r} names a repeated field")
        if last:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                raise BindingError(f"{template}: path variable {dotted!r} names a message")
        else:
            if field.type != FieldDescriptor.TYPE_MESSAGE:
                raise BindingError(f"{template}: {name!r} in {dotted!r} is not a message")
            if field.message_type is None:
                raise BindingError(f"{template}: {name!r} has no message type")
            current = field.message_type
    return names


def _segment_regex(segments: str) -> str:
    """A google.api.http segment pattern (`*`, `**`, `shelves/*`) as a regular expression."""
    parts = []
    for segment in segments.split("/"):
        if segment == "**":
            parts.append(".+")
        elif segment == "*":
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return "/".join(parts)


def _route_path(
    message: Descriptor, template: str, counter: list[int]
) -> tuple[str, tuple[PathVariable, ...]]:
    if not template.startswith("/"):
        raise BindingError(f"path template {template!r} does not start with '/'")
    variables: list[PathVariable] = []
    out: list[str] = []
    pos = 0
    for match in _VARIABLE.finditer(template):
        out.append(template[pos : match.start()])
        pos = match.end()
        name = f"p{counter[0]}"
        counter[0] += 1
        variables.append(PathVariable(name, _field_path(message, match.group(1), template)))
        segments = match.group(2)
        if segments in (None, "*"):
            out.append("{" + name + "}")
        else:
            out.append("{" + name + ":" + _segment_regex(segments) + "}")
    rest = template[pos:]
    if "{" in rest or "}" in rest:
        raise BindingError(f"path template {template!r} has an unbalanced brace")
    out.append(rest)
    return "".join(out), tuple(variables)


def _check_body(message: Descriptor, body: str, where: str) -> None:
    if body in ("", "*"):
        return
    if body not in message.fields_by_name:
        raise BindingError(f"{where}: body {body!r} is not a field of {message.full_name}")


def _bindings_of(method: MethodDescriptor, counter: list[int]) -> list[HttpBinding]:
    options = method.GetOptions()
    if not options.HasExtension(HTTP_RULE):
        return []
    top: http_pb2.HttpRule = options.Extensions[HTTP_RULE]
    rules = [top, *top.additional_bindings]
    bindings = []
    for rule in rules:
        if rule is not top and rule.additional_bindings:
            raise BindingError(f"{method.full_name}: nested additional_bindings")
        verb, template = _rule_pattern(rule)
        if method.client_streaming or method.server_streaming:
            raise BindingError(f"{method.full_name}: streaming RPCs are not transcoded")
        _check_body(method.input_type, rule.body, method.full_name)
        if rule.response_body and rule.response_body not in method.output_type.fields_by_name:
            raise BindingError(f"{method.full_name}: response_body {rule.response_body!r}")
        route_path, variables = _route_path(method.input_type, template, counter)
        bindings.append(
            HttpBinding(
                method=method,
                http_method=verb,
                template=template,
                route_path=route_path,
                variables=variables,
                body=rule.body,
                response_body=rule.response_body,
            )
        )
    return bindings


def derive_bindings(service: ServiceDescriptor) -> tuple[HttpBinding, ...]:
    """Every HTTP route of `service`, in declaration order; raises BindingError for a bad rule."""
    counter = [0]
    bindings: list[HttpBinding] = []
    seen: dict[tuple[str, str], str] = {}
    for method in service.methods:
        for binding in _bindings_of(method, counter):
            key = (binding.http_method, _VARIABLE.sub("{}", binding.template))
            if key in seen:
                raise BindingError(
                    f"{binding.http_method} {binding.template} is bound to both {seen[key]} "
                    f"and {method.full_name}"
                )
            seen[key] = method.full_name
            bindings.append(binding)
    return tuple(bindings)
