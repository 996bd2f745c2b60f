"""Hostile metadata on the gRPC door, sent raw (tests/edge/raw_h2.py) as no gRPC library would:
a key with bytes that are not UTF-8 or a control byte after it, a key too long for gRPC's
metadata limit, a `-bin` key, header names gRPC refuses, bytes that are not UTF-8 in metadata
the service reads (traceparent) or not (x-request-id), a garbage grpc-timeout. Each gets a clear
status (tests/edge/hostile_grpc.py), never the key back, in the log or on stderr; and a normal
client is served afterwards. The service answers what reaches it; gRPC answers the rest itself
(documented in docs/verification.md, issue 12)."""

from __future__ import annotations

import base64

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider

from payments.v1 import payments_pb2
from service.composition import Service, running_service
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
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

_C = grpc.StatusCode
BODY = grpc_message(payments_pb2.GetPaymentStatusRequest(id="cs_1").SerializeToString())
SERVED = by_service(_C.NOT_FOUND, "CHECKOUT_SESSION_NOT_FOUND")  # the key passed: cs_1 is unknown
BAD_KEY = by_service(_C.UNAUTHENTICATED, "API_KEY_INVALID")
TOO_LONG = by_grpc(_C.RESOURCE_EXHAUSTED, "received metadata size exceeds hard limit")
WITH_KEY = (b"x-api-key", KEY)
CASES: dict[str, tuple[tuple[tuple[bytes, bytes], ...], Expected]] = {
    "key-not-utf8": (((b"x-api-key", KEY + b"\xff"),), BAD_KEY),
    "key-latin1": (((b"x-api-key", b"caf\xe9" + KEY),), BAD_KEY),
    "bearer-not-utf8": (((b"authorization", b"Bearer \xfe\xff" + KEY),), BAD_KEY),
    "key-then-control-byte": (((b"x-api-key", KEY + b"\x01"),), BAD_KEY),
    "key-then-nul": (((b"x-api-key", KEY + b"\x00"),), BAD_KEY),
    "key-then-crlf-header": (((b"x-api-key", KEY + b"\r\nx-api-key: " + KEY),), BAD_KEY),
    "key-4-kib": (((b"x-api-key", KEY + b"A" * 4096),), BAD_KEY),
    "key-16-kib": (((b"x-api-key", KEY + b"A" * 16384),), TOO_LONG),
    "key-64-kib": (((b"x-api-key", KEY + b"A" * 65536),), TOO_LONG),
    "key-bin-base64": (
        ((b"x-api-key-bin", base64.b64encode(KEY)),),
        by_service(_C.UNAUTHENTICATED, "API_KEY_MISSING"),  # a -bin entry is not the key
    ),
    "key-bin-not-base64": (
        ((b"x-api-key-bin", b"\xff!" + KEY),),
        by_grpc(_C.INTERNAL, "Error parsing 'x-api-key-bin' metadata: illegal base64"),
    ),
    "key-name-upper-case": (((b"X-Api-Key", KEY),), by_grpc(_C.INTERNAL, "Illegal header key")),
    "name-not-ascii": (((b"x-\xffkey", b"1"), WITH_KEY), by_grpc(_C.INTERNAL, "Illegal header")),
    "traceparent-not-utf8": ((WITH_KEY, (b"traceparent", b"00-\xff\xfe-" + KEY)), SERVED),
    "request-id-not-utf8": ((WITH_KEY, (b"x-request-id", b"\xff\xfe" + KEY)), SERVED),
    "grpc-timeout-garbage": (
        (WITH_KEY, (b"grpc-timeout", b"soon")),
        by_grpc(_C.INTERNAL, "Error parsing 'grpc-timeout' metadata"),
    ),
    "grpc-timeout-not-utf8": (
        (WITH_KEY, (b"grpc-timeout", b"1\xffS")),
        by_grpc(_C.INTERNAL, "Error parsing 'grpc-timeout' metadata"),
    ),
    "grpc-timeout-huge": ((WITH_KEY, (b"grpc-timeout", b"99999999H")), SERVED),
}


@pytest.mark.parametrize(("metadata", "expected"), CASES.values(), ids=list(CASES))
async def test_hostile_metadata_gets_a_clear_status_and_quotes_no_key(
    service: Service,
    stub: Stub,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    metadata: tuple[tuple[bytes, bytes], ...],
    expected: Expected,
) -> None:
    log_everything(caplog)
    answer = await hostile_call(service.address, call_headers("GetPaymentStatus", *metadata), BODY)

    assert_answered(answer, expected)
    assert_no_key_logged(caplog, capfd.readouterr().err)
    await assert_still_serving(stub)


async def test_a_traceparent_not_utf8_is_ignored_when_calls_are_traced(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    log_everything(caplog)
    traced = TracerProvider()
    async with running_service(
        settings_for(), gateway=FakeGateway(), ledger=FakeLedger(), tracer_provider=traced
    ) as service:
        metadata = call_headers("GetPaymentStatus", *CASES["traceparent-not-utf8"][0])
        answer = await hostile_call(service.address, metadata, BODY)

    assert_answered(answer, SERVED)
    assert_no_key_logged(caplog, capfd.readouterr().err)
