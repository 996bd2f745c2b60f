"""A known hole, below the service: a request whose :path is not UTF-8 stops the whole gRPC door.

grpcio 1.85's asyncio server decodes the path of a call it has no registered method for as
UTF-8 in its accept loop (`rpc_state.method().decode()` in `_server_main_loop`), outside any
try: the UnicodeDecodeError ends the loop and grpcio shuts the server down, so the port closes
and every later call is UNAVAILABLE. It happens before any handler or interceptor runs, so the
service cannot answer it; the Deployment's gRPC probes see the port gone (readiness at once,
liveness restarts the pod). Marked xfail (strict) until grpcio handles it: then this passes,
fails as XPASS, and the row in docs/verification.md (issue 12) is to be changed."""

from __future__ import annotations

import grpc
import pytest

from service.composition import Service
from tests.conftest import Stub
from tests.edge.hostile_grpc import KEY, assert_still_serving, hostile_call
from tests.edge.raw_h2 import call_headers, grpc_message


@pytest.mark.xfail(
    strict=True, raises=grpc.aio.AioRpcError, reason="grpcio's serving loop dies on such a :path"
)
async def test_a_path_not_utf8_leaves_the_door_serving(service: Service, stub: Stub) -> None:
    headers = [
        (name, b"/payments.v1.PaymentService/\xff" if name == b":path" else value)
        for name, value in call_headers("GetPaymentStatus", (b"x-api-key", KEY))
    ]
    await hostile_call(service.address, headers, grpc_message(b""))

    await assert_still_serving(stub)
