"""Hostile requests on the gRPC door past the metadata: a wrong content-type, length-prefixed
messages that are cut short, flagged compressed without an encoding or not a protobuf of the
request at all, no message, a message that never comes, a method that does not exist, requests
HTTP/2 itself forbids; the same for health's methods. Each gets a clear status
(tests/edge/hostile_grpc.py) or, for what is no gRPC request at all, a reset stream; never the
key; a normal client is served afterwards."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import pytest
from grpc_health.v1 import health_pb2
from h2.errors import ErrorCodes

from payments.v1 import payments_pb2
from service.composition import Service
from service.config import Settings
from tests.conftest import Stub
from tests.edge.conftest import settings_for
from tests.edge.hostile_grpc import (
    KEY,
    Expected,
    assert_answered,
    assert_no_key_logged,
    assert_still_serving,
    by_grpc,
    by_service,
    hostile_call,
    log_everything,
)
from tests.edge.raw_h2 import call_headers, grpc_message

_C = grpc.StatusCode
DEADLINE_SECONDS = 1.0  # the service's default deadline here: a request that never comes
REQUEST = payments_pb2.GetPaymentStatusRequest(id="cs_1").SerializeToString()
SERVED = by_service(_C.NOT_FOUND, "CHECKOUT_SESSION_NOT_FOUND")
MALFORMED = by_service(_C.INVALID_ARGUMENT, "MALFORMED_REQUEST")
NOT_PROTO = grpc_message(b"\xff\xff\xff\xff")
WITH_KEY = (b"x-api-key", KEY)
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
HEALTH_REQUEST = health_pb2.HealthCheckRequest(service="").SerializeToString()
GZIP = ((b"grpc-encoding", b"gzip"),)


@dataclass(frozen=True)
class Case:
    body: bytes | None  # None: the HEADERS end the call
    expected: Expected
    method: str = "GetPaymentStatus"
    metadata: tuple[tuple[bytes, bytes], ...] = ()
    content_type: bytes = b"application/grpc"


CASES = {
    # gRPC hides content-type from the service and does not check it: the body is read as gRPC.
    "content-type-json": Case(grpc_message(REQUEST), SERVED, content_type=b"application/json"),
    "content-type-not-utf8": Case(grpc_message(REQUEST), SERVED, content_type=b"appl\xffcation"),
    "length-beyond-the-body": Case(grpc_message(REQUEST, length=1000), MALFORMED),
    "length-prefix-cut": Case(b"\x00\x00", MALFORMED),
    "length-over-4-mib": Case(
        grpc_message(REQUEST, length=5 << 20),
        by_grpc(_C.RESOURCE_EXHAUSTED, "SERVER: Received message larger than max"),
    ),
    "two-messages": Case(grpc_message(REQUEST) * 2, SERVED),  # the first; the rest unread
    "no-message": Case(None, MALFORMED),
    "not-the-request-proto": Case(NOT_PROTO, MALFORMED),
    "stream-not-the-request-proto": Case(NOT_PROTO, MALFORMED, "WatchPaymentStatus"),
    "stream-no-message": Case(None, MALFORMED, "WatchPaymentStatus"),
    "compressed-flag-no-encoding": Case(
        grpc_message(REQUEST, compressed=True),
        by_grpc(_C.INTERNAL, "Compression bit set but no encoding configured"),
    ),
    "gzip-not-gzip": Case(
        grpc_message(REQUEST, compressed=True),
        by_grpc(_C.INTERNAL, "Decompression failed due to zlib error"),
        metadata=GZIP,
    ),
    "grpc-encoding-not-utf8": Case(
        grpc_message(REQUEST, compressed=True),
        by_grpc(_C.INTERNAL, "Error parsing 'grpc-encoding' metadata"),
        metadata=((b"grpc-encoding", b"br\xff"),),
    ),
    # Health needs no key; its methods read their request as PaymentService's do.
    "health-check-no-message": Case(None, MALFORMED, HEALTH_CHECK),
    "health-check-not-the-request-proto": Case(NOT_PROTO, MALFORMED, HEALTH_CHECK),
    "health-check": Case(grpc_message(HEALTH_REQUEST), by_grpc(_C.OK, ""), HEALTH_CHECK),
    "health-watch-no-message": Case(None, MALFORMED, HEALTH_WATCH),
    "unknown-method": Case(
        grpc_message(REQUEST), by_grpc(_C.UNIMPLEMENTED, "Method not found!"), "Refund"
    ),
}


@pytest.fixture
def settings() -> Settings:
    return settings_for(default_deadline_seconds=DEADLINE_SECONDS)


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_a_hostile_request_gets_a_clear_status_and_quotes_no_key(
    service: Service,
    stub: Stub,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    case: Case,
) -> None:
    log_everything(caplog)
    headers = call_headers(case.method, WITH_KEY, *case.metadata, content_type=case.content_type)
    answer = await hostile_call(service.address, headers, case.body)

    assert_answered(answer, case.expected)
    assert_no_key_logged(caplog, capfd.readouterr().err)
    await assert_still_serving(stub)


async def test_a_request_message_that_never_comes_ends_at_the_default_deadline(
    service: Service, stub: Stub, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the service read the message itself, gRPC waited for it without end."""
    log_everything(caplog)
    headers = call_headers("GetPaymentStatus", WITH_KEY)
    answer = await hostile_call(service.address, headers, None, half_close=False)

    assert_answered(answer, by_service(_C.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"))
    await assert_still_serving(stub)


def _replaced(name: bytes, value: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, value if n == name else v) for n, v in call_headers("GetPaymentStatus", WITH_KEY)]


def _without(name: bytes) -> list[tuple[bytes, bytes]]:
    return [(n, v) for n, v in call_headers("GetPaymentStatus", WITH_KEY) if n != name]


NO_GRPC = {"method-get": _replaced(b":method", b"GET"), "without-te": _without(b"te")}


@pytest.mark.parametrize("headers", NO_GRPC.values(), ids=list(NO_GRPC))
async def test_what_is_no_grpc_request_is_reset_by_grpc_itself(
    service: Service, stub: Stub, headers: list[tuple[bytes, bytes]]
) -> None:
    answer = await hostile_call(service.address, headers, grpc_message(REQUEST))

    assert (answer.reset, answer.grpc_status) == (ErrorCodes.INTERNAL_ERROR, None)
    await assert_still_serving(stub)
