"""What every hostile call to the gRPC door must get, whoever answers it: a clear status, the
service's google.rpc.Status (ErrorInfo reason) when the service answered, gRPC's own words when
gRPC answered before the service saw the call; never the key in the answer, in a log record or
on stderr (gRPC core's own log); and the door serves a normal client afterwards."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
import pytest
from google.rpc import error_details_pb2

from payments.v1 import payments_pb2
from tests.conftest import API_KEY, Stub
from tests.edge.raw_h2 import Answer, Headers, RawConnection

KEY = API_KEY.encode()
SERVICE_DOMAIN = "payments.internal"
# The test's own HTTP/2 client logs the headers it encodes at DEBUG: they are not the service's.
CLIENT_LOGGERS = ("hpack", "h2")


@dataclass(frozen=True)
class Expected:
    """The answer a hostile call gets: `reason` is the service's ErrorInfo reason; without one,
    gRPC itself answered, and its grpc-message starts with `grpc_says`."""

    code: grpc.StatusCode
    reason: str | None = None
    grpc_says: str = ""


def by_service(code: grpc.StatusCode, reason: str) -> Expected:
    return Expected(code, reason)


def by_grpc(code: grpc.StatusCode, grpc_says: str) -> Expected:
    return Expected(code, None, grpc_says)


def log_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Every logger of every library at DEBUG, as tests/e2e/test_no_secrets.py does; the test's
    own client aside."""
    caplog.set_level(logging.DEBUG)
    for client in CLIENT_LOGGERS:
        caplog.set_level(logging.INFO, logger=client)


async def hostile_call(
    address: str, headers: Headers, body: bytes | None, *, half_close: bool = True
) -> Answer:
    connection = await RawConnection.open(address)
    try:
        return await connection.call(headers, body, half_close=half_close)
    finally:
        connection.close()


def assert_answered(answer: Answer, expected: Expected) -> None:
    code = expected.code.value[0]
    assert answer.grpc_status == code, (answer.grpc_status, answer.grpc_message, answer.reset)
    assert KEY not in answer.everything()
    details = answer.details
    if expected.reason is None:
        assert details is None, details  # gRPC's own answer, not one of the service's
        assert answer.grpc_message.startswith(expected.grpc_says), answer.grpc_message
        return
    assert details is not None, answer.grpc_message
    assert details.code == code
    infos = [d for d in details.details if d.type_url.endswith("/google.rpc.ErrorInfo")]
    assert len(infos) == 1, details
    info = error_details_pb2.ErrorInfo()
    infos[0].Unpack(info)
    assert (info.domain, info.reason) == (SERVICE_DOMAIN, expected.reason)


def assert_no_key_logged(caplog: pytest.LogCaptureFixture, stderr: str) -> None:
    """No record holds the key (message, arguments or traceback), none is an error of the
    service's, and gRPC core's own log (stderr) does not quote the key either."""
    for record in caplog.records:
        text = record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        assert API_KEY not in text, f"{record.name}: {text[:300]}"
        assert record.levelno < logging.ERROR, caplog.handler.format(record)
        assert not record.exc_info, caplog.handler.format(record)
    assert API_KEY not in stderr


async def assert_still_serving(stub: Stub) -> None:
    """A normal client (grpc.aio) is served."""
    created = await stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(email="after@example.com"),
        metadata=(("x-api-key", API_KEY),),
        timeout=5,
    )
    assert created.customer.id
