"""Bad input never crashes anything and never yields INTERNAL/UNKNOWN: a seeded, table-driven fuzz
of every request field over gRPC (hypothesis is not a project dependency), corrupt protobuf bytes,
and random bodies over the HTTP door; the service still serves afterwards."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import aiohttp
import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from payments.v1 import payments_pb2
from service.composition import running_service
from service.config import Settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, Stub, rich_details

Metadata = tuple[tuple[str, str], ...]
NEVER = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
# ExpireCheckout joins once the Stripe gateway can expire a checkout.
RPCS = (
    "CreateCustomer",
    "CreateProduct",
    "GetProduct",
    "CreateCheckout",
    "GetPaymentStatus",
    "ListPayments",
)

STRINGS = [
    "",
    " ",
    "\x00",
    "\u202e",
    "😀" * 10,
    "a@b",
    "jane@example.com",
    "cus_",
    "prod_",
    "cs_",
    "pi_",
    "cs_test_x",
    "pi_x",
    "prod_x",
    "cus_x",
    "usd",
    "US",
    "http://",
    "https://e.com/x",
    "javascript:alert(1)",
    "' OR 1=1 --",
    "%00",
    "x" * 37,
    "x" * 5001,
    "\ud7ff",
    "metadata['a']:'b'",
    "{CHECKOUT_SESSION_ID}",
]
INTS = [0, 1, -1, 99_999_999, 100_000_000, 999, 1000, 2**63 - 1, -(2**63)]
INT32S = [0, 1, -1, 100, 101, 2**31 - 1, -(2**31)]
# Timestamps (seconds, nanos): the epoch, now-ish, beyond year 9999, and invalid nanos.
TIMES = [(0, 0), (1_780_000_000, 0), (2**62, 0), (-(2**62), 0), (0, -1), (0, 2_000_000_000)]


def random_value(field: FieldDescriptor, rng: random.Random) -> Any:
    if field.type == FieldDescriptor.TYPE_STRING:
        return rng.choice(STRINGS) + rng.choice(["", "".join(rng.choices("aZ9_-@./ \t", k=5))])
    if field.type == FieldDescriptor.TYPE_INT32:
        return rng.choice(INT32S)
    return rng.choice(INTS)


def random_request(rpc: str, rng: random.Random) -> Message:
    message_type = getattr(payments_pb2, f"{rpc}Request")
    request: Message = message_type()
    for field in message_type.DESCRIPTOR.fields:
        if rng.random() < 0.3:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target = getattr(request, field.name)
            for _ in range(rng.choice([0, 1, 3, 51])):
                target[rng.choice(STRINGS)[:45] + str(rng.random())[:4]] = rng.choice(STRINGS)
        elif field.message_type is not None:  # a google.protobuf.Timestamp
            seconds, nanos = rng.choice(TIMES)
            getattr(request, field.name).CopyFrom(Timestamp(seconds=seconds, nanos=nanos))
        else:
            if field.containing_oneof is not None and request.WhichOneof(
                field.containing_oneof.name
            ):
                continue
            setattr(request, field.name, random_value(field, rng))
    return request


@pytest.mark.parametrize("rpc", RPCS)
async def test_random_requests_never_internal_or_unknown(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle, rpc: str
) -> None:
    rng = random.Random(f"payments-{rpc}")  # seeded: a failure reproduces
    seen: set[str] = set()
    failures: list[tuple[Message, grpc.aio.AioRpcError]] = []
    for _ in range(60):
        request = random_request(rpc, rng)
        try:
            await getattr(stub, rpc)(request, metadata=auth, timeout=10)
            seen.add("OK")
        except grpc.aio.AioRpcError as error:
            failures.append((request, error))
    for request, failure in failures:
        assert failure.code() not in NEVER, (request, failure.details())
        rich_details(failure)  # an ErrorInfo, always
        seen.add(failure.code().name)
    assert "INVALID_ARGUMENT" in seen


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xff\xff", b"\x0a\x02\xff\xfe", b"\x08", b"\x1a\x05\x0a\x01", b"\x0a" * 1000],
    ids=["garbage", "bad-utf8", "truncated-varint", "truncated-map", "repeated-tag"],
)
@pytest.mark.parametrize("rpc", RPCS)
async def test_corrupt_protobuf_is_invalid_argument(
    channel: grpc.aio.Channel, auth: Metadata, emulator: EmulatorHandle, rpc: str, payload: bytes
) -> None:
    call: Any = channel.unary_unary(f"/payments.v1.PaymentService/{rpc}")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(payload, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = rich_details(raised.value)
    assert details["error_info"].reason == "MALFORMED_REQUEST"
    assert [v.field for v in details["bad_request"].field_violations] == ["request"]
    assert "DecodeError" not in (raised.value.details() or "")


async def test_corrupt_protobuf_without_a_key_is_unauthenticated(
    channel: grpc.aio.Channel,
) -> None:
    call: Any = channel.unary_unary("/payments.v1.PaymentService/CreateCustomer")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(b"\xff\xff\xff", timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "null", "list", "dict"] if depth < 3 else ["str"]
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(STRINGS)
    if kind == "int":
        return rng.choice([*INTS, 2**64, -(2**70)])
    if kind == "float":
        return rng.choice([0.5, 1e308, -0.0, 1e-9])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    names = [
        "email",
        "name",
        "metadata",
        "requestId",
        "request_id",
        "unitAmount",
        "currency",
        "externalProductId",
        "productId",
        "customerId",
        "quantity",
        "successUrl",
        "id",
        "clientReferenceId",
        "expireTime",
        "x",
    ]
    return {rng.choice(names): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


ROUTES = [
    ("POST", "/v1/customers"),
    ("POST", "/v1/products"),
    ("POST", "/v1/payments/checkout"),
    ("GET", "/v1/products/prod_x"),
    ("GET", "/v1/products"),
    ("GET", "/v1/payments/cs_test_x"),
    ("GET", "/v1/payments"),
]


async def test_random_http_bodies_and_queries_never_500(
    settings: Settings, emulator: EmulatorHandle
) -> None:
    rng = random.Random("payments-http")
    async with (
        running_service(replace(settings, http_addr="127.0.0.1:0")) as service,
        aiohttp.ClientSession() as client,
    ):
        base = f"http://{service.http_address}"
        for _ in range(150):
            method, path = rng.choice(ROUTES)
            headers = {"x-api-key": API_KEY, "Content-Type": "application/json"}
            kind = rng.random()
            if kind < 0.6:
                data = json.dumps(random_json(rng)).encode()
            elif kind < 0.8:
                data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
            else:
                data = json.dumps(random_json(rng)).encode()[: rng.randint(0, 20)]
            names = ["externalProductId", "x", "id", "customerId", "clientReferenceId", "pageSize"]
            params = {rng.choice(names): rng.choice(STRINGS)[:60]}
            async with client.request(
                method, base + path, data=data, headers=headers, params=params
            ) as response:
                assert response.status < 500, (method, path, data, await response.text())
                assert response.content_type == "application/json"
                body = await response.json()
                if response.status != 200:
                    assert set(body) == {"code", "message", "details"}
        async with client.get(base + "/openapi.json") as response:
            assert response.status == 200  # still serving
