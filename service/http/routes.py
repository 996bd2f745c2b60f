"""HTTP routes from the `google.api.http` rules of PaymentService, in the forms the contract uses
and no others: GET or POST; the whole request as the body (`body: "*"`) or no body; path
variables (`{id}`) naming top-level string fields; one level of `additional_bindings`; a
server-streaming RPC on GET without a body (served as newline-delimited JSON). Any other rule
fails at start-up (`BindingError`): the proto cannot promise what this door lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import FieldDescriptor, MethodDescriptor

from service.api import Rpc

# The google.api.http extension. googleapis-common-protos' .pyi types it as a plain
# FieldDescriptor, which Message.Extensions does not accept; the value read is an HttpRule.
HTTP_RULE: Any = annotations_pb2.http

_VARIABLE = re.compile(r"\{([^}]*)\}")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class BindingError(ValueError):
    """A `google.api.http` rule this door does not serve: a bug in the proto, found at start."""


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """One HTTP route of one RPC."""

    rpc: Rpc
    verb: str  # GET or POST
    template: str  # as in the proto, and as aiohttp routes it: /v1/products/{product_id}
    has_body: bool  # the whole request is the JSON body

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(_VARIABLE.findall(self.template))


def routes_of(rpcs: tuple[Rpc, ...]) -> tuple[HttpRoute, ...]:
    """Every HTTP route of `rpcs`, in declaration order; raises BindingError for a rule outside
    the forms above or for two rules on one route."""
    routes: list[HttpRoute] = []
    seen: dict[tuple[str, str], str] = {}
    for rpc in rpcs:
        for rule in _rules_of(rpc.method):
            route = _route(rpc, rule)
            key = (route.verb, _VARIABLE.sub("{}", route.template))
            if key in seen:
                raise BindingError(f"{route.verb} {route.template} is bound twice: {seen[key]}")
            seen[key] = rpc.method.name
            routes.append(route)
    return tuple(routes)


def _rules_of(method: MethodDescriptor) -> list[http_pb2.HttpRule]:
    options = method.GetOptions()
    if not options.HasExtension(HTTP_RULE):
        return []
    top: http_pb2.HttpRule = options.Extensions[HTTP_RULE]
    nested = [rule for rule in top.additional_bindings if rule.additional_bindings]
    if nested:
        raise BindingError(f"{method.full_name}: nested additional_bindings")
    return [top, *top.additional_bindings]


def _route(rpc: Rpc, rule: http_pb2.HttpRule) -> HttpRoute:
    method = rpc.method
    verb = rule.WhichOneof("pattern")
    if verb not in ("get", "post"):
        raise BindingError(f"{method.full_name}: only get and post rules are served, not {verb}")
    if rule.body not in ("", "*") or rule.response_body:
        raise BindingError(f'{method.full_name}: only body "*" (or none) is served')
    if method.client_streaming:
        raise BindingError(f"{method.full_name}: client-streaming RPCs have no HTTP route")
    if method.server_streaming and (verb != "get" or rule.body):
        raise BindingError(f"{method.full_name}: a server-streaming RPC is served on get, no body")
    template = str(getattr(rule, verb))
    if not template.startswith("/"):
        raise BindingError(f"{method.full_name}: path {template!r} does not start with '/'")
    for name in _VARIABLE.findall(template):
        field = method.input_type.fields_by_name.get(name) if _FIELD_NAME.match(name) else None
        if field is None or field.type != FieldDescriptor.TYPE_STRING or field.is_repeated:
            raise BindingError(
                f"{method.full_name}: path variable {{{name}}} must name a top-level string field"
            )
    return HttpRoute(rpc, verb.upper(), template, has_body=rule.body == "*")
