"""Routes come from the descriptors' google.api.http rules, match the OpenAPI document, and only
the forms the contract uses are accepted: any other rule fails loudly at start-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from domain.call import CallContext
from service.api import PAYMENT_SERVICE, Rpc
from service.http import BindingError, routes_of
from service.http.routes import HTTP_RULE

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "generated/payments/v1/payments.swagger.json"


async def _never(request: Any, call: CallContext) -> Message:
    raise AssertionError("routes are only looked at")


def rpcs() -> tuple[Rpc, ...]:
    return tuple(Rpc(method, _never) for method in PAYMENT_SERVICE.methods)


def test_every_rpc_has_a_route_and_additional_bindings_are_served() -> None:
    routes = {(r.verb, r.template, r.rpc.method.name) for r in routes_of(rpcs())}

    assert {name for _, _, name in routes} == {m.name for m in PAYMENT_SERVICE.methods}
    assert ("GET", "/v1/products/{product_id}", "GetProduct") in routes
    assert ("GET", "/v1/products", "GetProduct") in routes


def test_served_routes_are_exactly_the_openapi_operations() -> None:
    document = json.loads(OPENAPI.read_text())
    documented = {(verb.upper(), path) for path, item in document["paths"].items() for verb in item}

    assert {(r.verb, r.template) for r in routes_of(rpcs())} == documented


def _method_with(
    rule: http_pb2.HttpRule, *, streaming: bool = False, client_streaming: bool = False
) -> MethodDescriptor:
    """A method declared at run time (as protoc would) carrying `rule`."""
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, http_pb2, annotations_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    f = descriptor_pb2.FileDescriptorProto(
        name="t/v1/t.proto", package="t.v1", syntax="proto3",
        dependency=["google/api/annotations.proto"],
    )  # fmt: skip
    inner = f.message_type.add(name="Inner")
    inner.field.add(name="id", number=1, type=9, label=1, json_name="id")
    request = f.message_type.add(name="Request")
    request.field.add(name="name", number=1, type=9, label=1, json_name="name")
    request.field.add(name="count", number=2, type=3, label=1, json_name="count")
    request.field.add(
        name="inner", number=3, type=11, label=1, type_name=".t.v1.Inner", json_name="inner"
    )
    method = f.service.add(name="S").method.add(
        name="Do", input_type=".t.v1.Request", output_type=".t.v1.Inner",
        server_streaming=streaming, client_streaming=client_streaming,
    )  # fmt: skip
    method.options.Extensions[HTTP_RULE].CopyFrom(rule)
    pool.Add(f)
    return pool.FindServiceByName("t.v1.S").methods_by_name["Do"]


@pytest.mark.parametrize(
    ("rule", "refusal"),
    [
        (http_pb2.HttpRule(put="/v1/things/{name}", body="*"), "only get and post"),
        (http_pb2.HttpRule(post="/v1/things", body="inner"), 'only body "*"'),
        (http_pb2.HttpRule(get="/v1/things", response_body="id"), 'only body "*"'),
        (http_pb2.HttpRule(get="/v1/{inner.id}"), "top-level string field"),
        (http_pb2.HttpRule(get="/v1/{name=shelves/*}"), "top-level string field"),
        (http_pb2.HttpRule(get="/v1/{count}"), "top-level string field"),
        (http_pb2.HttpRule(get="/v1/{missing}"), "top-level string field"),
        (http_pb2.HttpRule(get="v1/things"), "does not start with '/'"),
        (
            http_pb2.HttpRule(
                get="/v1/a",
                additional_bindings=[
                    http_pb2.HttpRule(
                        get="/v1/b", additional_bindings=[http_pb2.HttpRule(get="/v1/c")]
                    )
                ],
            ),
            "nested additional_bindings",
        ),
        (
            http_pb2.HttpRule(custom=http_pb2.CustomHttpPattern(kind="HEAD", path="/v1/x")),
            "only get and post",
        ),
    ],
)
def test_a_rule_outside_the_contract_forms_is_refused_at_start(
    rule: http_pb2.HttpRule, refusal: str
) -> None:
    with pytest.raises(BindingError, match=refusal):
        routes_of((Rpc(_method_with(rule), _never),))


def test_a_server_streaming_rpc_is_served_on_get_without_a_body() -> None:
    method = _method_with(http_pb2.HttpRule(get="/v1/things/{name}/watch"), streaming=True)

    (route,) = routes_of((Rpc(method, _never),))

    assert (route.verb, route.template, route.has_body) == ("GET", "/v1/things/{name}/watch", False)
    assert route.rpc.streaming


@pytest.mark.parametrize(
    ("rule", "client_streaming", "refusal"),
    [
        (http_pb2.HttpRule(post="/v1/things", body="*"), False, "served on get, no body"),
        (http_pb2.HttpRule(post="/v1/things"), False, "served on get, no body"),
        (http_pb2.HttpRule(get="/v1/things", body="*"), False, "served on get, no body"),
        (http_pb2.HttpRule(get="/v1/things"), True, "client-streaming"),
    ],
)
def test_a_stream_outside_get_without_body_or_from_the_client_is_refused_at_start(
    rule: http_pb2.HttpRule, client_streaming: bool, refusal: str
) -> None:
    method = _method_with(rule, streaming=True, client_streaming=client_streaming)
    with pytest.raises(BindingError, match=refusal):
        routes_of((Rpc(method, _never),))


def test_two_rules_on_one_route_are_refused() -> None:
    method = _method_with(
        http_pb2.HttpRule(
            get="/v1/{name}", additional_bindings=[http_pb2.HttpRule(get="/v1/{name}")]
        )
    )
    with pytest.raises(BindingError, match="bound twice"):
        routes_of((Rpc(method, _never),))
