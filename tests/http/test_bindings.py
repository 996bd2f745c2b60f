"""Routes come from the descriptors' google.api.http rules, and match the OpenAPI document."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from payments.v1 import payments_pb2
from service.auth import ApiKeyAuthenticator
from service.http import BindingError, derive_bindings, routes_of, serve_http
from service.http.app import create_app
from service.http.bindings import HTTP_RULE, _route_path
from tests.http.conftest import API_KEY

REPO = Path(__file__).resolve().parents[2]
OPENAPI = REPO / "docs/openapi/payments.swagger.json"
SERVICE = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]


def openapi_operations() -> set[tuple[str, str]]:
    document = json.loads(OPENAPI.read_text())
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_every_rpc_has_an_http_rule() -> None:
    bound = {b.method.name for b in derive_bindings(SERVICE)}

    assert bound == {m.name for m in SERVICE.methods}


def test_bindings_include_additional_bindings() -> None:
    routes = {(b.http_method, b.template, b.method.name) for b in derive_bindings(SERVICE)}

    assert ("GET", "/v1/products/{product_id}", "GetProduct") in routes
    assert ("GET", "/v1/products", "GetProduct") in routes


def test_served_routes_are_exactly_the_openapi_operations() -> None:
    app = create_app(_AnyServicer(), ApiKeyAuthenticator([API_KEY]))
    served = {
        (method, re.sub(r"\{p\d+\}", "{}", path))
        for method, path in routes_of(app)
        if path != "/openapi.json"
    }
    documented = {
        (method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path in openapi_operations()
    }

    assert served == documented


class _AnyServicer:
    """Has every RPC; never called (only the routes are looked at)."""


for _method in SERVICE.methods:
    setattr(_AnyServicer, _method.name, lambda self, request, context: None)


# --- a new RPC with a rule is served without new routing code ----------------------------------


def _thing_service() -> ServiceDescriptor:
    """A service declared at run time (as protoc would), with rules none of our code names."""
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, http_pb2, annotations_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    f = descriptor_pb2.FileDescriptorProto(
        name="httptest/v1/things.proto",
        package="httptest.v1",
        syntax="proto3",
        dependency=["google/api/annotations.proto"],
    )
    thing = f.message_type.add(name="Thing")
    thing.field.add(name="id", number=1, type=9, label=1, json_name="id")
    thing.field.add(name="colour", number=2, type=9, label=1, json_name="colour")
    thing.field.add(name="count", number=3, type=3, label=1, json_name="count")
    get = f.message_type.add(name="GetThingRequest")
    get.field.add(name="name", number=1, type=9, label=1, json_name="name")
    get.field.add(name="verbose", number=2, type=8, label=1, json_name="verbose")
    get.field.add(name="tags", number=3, type=9, label=3, json_name="tags")
    update = f.message_type.add(name="UpdateThingRequest")
    update.field.add(
        name="thing", number=1, type=11, label=1, type_name=".httptest.v1.Thing", json_name="thing"
    )
    update.field.add(name="dry_run", number=2, type=8, label=1, json_name="dryRun")
    service = f.service.add(name="ThingService")
    for name, rule in (
        (
            "GetThing",
            {"get": "/v1/{name=shelves/*/things/*}", "extra": ("post", "/v1/things:lookup", "*")},
        ),
        ("UpdateThing", {"patch": "/v1/things/{thing.id}", "body": "thing"}),
    ):
        method = service.method.add(
            name=name, input_type=f".httptest.v1.{name}Request", output_type=".httptest.v1.Thing"
        )
        http: http_pb2.HttpRule = method.options.Extensions[HTTP_RULE]
        if "get" in rule:
            http.get = str(rule["get"])
            verb, path, body = rule["extra"]
            extra = http.additional_bindings.add(body=str(body))
            setattr(extra, str(verb), str(path))
        else:
            http.patch = str(rule["patch"])
            http.body = str(rule["body"])
    pool.Add(f)
    return pool.FindServiceByName("httptest.v1.ThingService")


class ThingServicer:
    """What a servicer for the new RPC would be: it sees only request messages."""

    def __init__(self, service: ServiceDescriptor) -> None:
        self._thing = message_factory.GetMessageClass(service.file.message_types_by_name["Thing"])

    async def GetThing(self, request: Any, context: object) -> Message:  # noqa: N802 (RPC name)
        return self._thing(
            id=request.name, colour=",".join(request.tags), count=int(request.verbose)
        )

    async def UpdateThing(self, request: Any, context: object) -> Message:  # noqa: N802
        return self._thing(
            id=request.thing.id, colour=request.thing.colour, count=int(request.dry_run)
        )


async def test_a_new_rpc_with_a_rule_is_served_without_new_routing_code() -> None:
    service = _thing_service()
    async with (
        serve_http(
            "127.0.0.1:0", ThingServicer(service), ApiKeyAuthenticator([API_KEY]), service=service
        ) as http,
        aiohttp.ClientSession(headers={"x-api-key": API_KEY}) as client,
    ):
        async with client.get(
            http.url + "/v1/shelves/s1/things/t9",
            params=[("verbose", "true"), ("tags", "a"), ("tags", "b")],
        ) as response:
            assert response.status == 200, await response.text()
            assert await response.json() == {
                "id": "shelves/s1/things/t9",
                "colour": "a,b",
                "count": "1",
            }
        async with client.post(
            http.url + "/v1/things:lookup", json={"name": "x", "tags": ["c"]}
        ) as response:
            assert response.status == 200, await response.text()
            assert await response.json() == {"id": "x", "colour": "c"}
        async with client.patch(
            http.url + "/v1/things/t7?dryRun=1", json={"colour": "red", "id": "ignored"}
        ) as response:
            assert response.status == 200, await response.text()
            assert await response.json() == {"id": "t7", "colour": "red", "count": "1"}
        async with client.get(http.url + "/v1/shelves/s1/things/t9?verbose=maybe") as response:
            assert response.status == 400
            body = await response.json()
            assert body["details"][1]["fieldViolations"][0]["field"] == "verbose"


def test_a_rule_naming_a_missing_field_is_refused_at_start() -> None:
    service = _thing_service()
    rule: http_pb2.HttpRule = service.methods_by_name["GetThing"].GetOptions().Extensions[HTTP_RULE]
    assert rule.get == "/v1/{name=shelves/*/things/*}"
    with pytest.raises(BindingError, match="no field 'nope'"):
        _route_path(service.methods_by_name["GetThing"].input_type, "/v1/{nope}", [0])
