"""One RPC call through either door, answered in one form: the response as the HTTP door writes
it (protobuf's JSON mapping), or the failure's reason and field violations. For the tests that
show both doors behave alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format

from payments.v1 import payments_pb2
from tests.conftest import API_KEY, Stub, rich_details
from tests.edge.conftest import Stack, error_info, field_violations

AUTH = (("x-api-key", API_KEY),)


@dataclass(frozen=True)
class Answer:
    """ "OK" and the response, or the failure's ErrorInfo reason and BadRequest violations."""

    reason: str
    body: dict[str, Any] = field(default_factory=dict)
    violations: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


async def call(door: str, stack: Stack, stub: Stub, rpc: str, **fields: Any) -> Answer:
    """`rpc` with `fields` (JSON values, proto names) through `door`."""
    if door == "grpc":
        return await _over_grpc(stub, rpc, fields)
    method, path, rest = _http_route(rpc, fields)
    if method == "GET":
        status, body = await stack.call(method, path, params=rest)
    else:
        status, body = await stack.call(method, path, json=rest)
    if status == 200:
        return Answer("OK", body)
    violations = {}
    if any(d["@type"].endswith("/google.rpc.BadRequest") for d in body["details"]):
        violations = field_violations(body)
    info = error_info(body)
    return Answer(info["reason"], body, violations, info.get("metadata", {}))


async def _over_grpc(stub: Stub, rpc: str, fields: dict[str, Any]) -> Answer:
    request = json_format.ParseDict(fields, getattr(payments_pb2, f"{rpc}Request")())
    try:
        response = await getattr(stub, rpc)(request, metadata=AUTH, timeout=5)
    except grpc.aio.AioRpcError as error:
        details = rich_details(error)
        bad = details.get("bad_request")
        violations = {v.field: v.description for v in bad.field_violations} if bad else {}
        info = details["error_info"]
        return Answer(info.reason, {}, violations, dict(info.metadata))
    return Answer("OK", json_format.MessageToDict(response))


def _http_route(rpc: str, fields: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(method, path, the rest of the fields: body or query) as the proto's http rules say."""
    rest = dict(fields)
    if rpc == "CreateCheckout":
        return "POST", "/v1/payments/checkout", rest
    if rpc == "ExpireCheckout":
        return "POST", f"/v1/payments/{rest.pop('checkout_session_id')}/expire", rest
    if rpc == "GetPaymentStatus":
        return "GET", f"/v1/payments/{rest.pop('id')}", rest
    paths = {"ListPayments": "/v1/payments", "ListPaymentEvents": "/v1/payment-events"}
    return "GET", paths[rpc], {name: str(value) for name, value in rest.items()}
