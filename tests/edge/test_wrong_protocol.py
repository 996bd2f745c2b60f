"""A client on the wrong port hears so at once, and the service logs one line that says which
port speaks what, never a traceback or the bytes it was sent."""

from __future__ import annotations

import logging
import time

import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import Service


async def test_a_grpc_client_on_the_http_port_fails_fast_and_is_logged_in_one_line(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    async with grpc.aio.insecure_channel(str(service.http_address)) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetPaymentStatus(payments_pb2.GetPaymentStatusRequest(id="cs_1"), timeout=5)

    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "http1.x server" in str(refused.value.details())  # gRPC's own words for it
    assert time.monotonic() - started < 2
    lines = [r for r in caplog.records if r.name.startswith(("aiohttp", "service.http.refused"))]
    assert [(r.levelname, r.exc_info) for r in lines] == [("WARNING", None)]
    message = lines[0].getMessage()
    assert "this port serves HTTP/JSON" in message
    assert "PAYMENTS_LISTEN_ADDR" in message
    assert "PRI" not in message  # not the bytes it was sent
