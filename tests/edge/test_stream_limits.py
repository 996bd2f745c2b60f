"""Open streams are limited per caller and per replica (PAYMENTS_MAX_STREAMS_PER_CALLER,
PAYMENTS_MAX_STREAMS): beyond, RESOURCE_EXHAUSTED `TOO_MANY_STREAMS` with a RetryInfo and the
limit in ErrorInfo's metadata. A stream the caller closes frees its slot; unary calls and the
server's own streams (health Watch) are not counted."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from payments.v1 import payments_pb2
from service.composition import Service
from service.config import Settings
from tests.conftest import API_KEY, SECOND_API_KEY, Stub, rich_details, wait_until
from tests.edge.conftest import settings_for
from tests.streams import end_of, open_checkout, record_an_event, watched_events, watched_status

S = payments_pb2
PER_CALLER, PER_REPLICA = 2, 3
FIRST = (("x-api-key", API_KEY),)
SECOND = (("x-api-key", SECOND_API_KEY),)  # another caller


@pytest.fixture
def settings() -> Settings:
    return settings_for(max_streams=PER_REPLICA, max_streams_per_caller=PER_CALLER)


async def refused(stub: Stub, auth: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A WatchPaymentEvents that must be refused TOO_MANY_STREAMS; its ErrorInfo metadata."""
    watch = stub.WatchPaymentEvents(S.WatchPaymentEventsRequest(), metadata=auth, timeout=10)
    error = await end_of(watch)
    details = rich_details(error)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
    assert details["error_info"].reason == "TOO_MANY_STREAMS"
    assert details["retry_info"].retry_delay.ToTimedelta().total_seconds() > 0
    return dict(details["error_info"].metadata)


async def test_a_caller_beyond_its_limit_is_refused(service: Service, stub: Stub) -> None:
    await record_an_event(stub, FIRST)
    session_id = await open_checkout(stub, FIRST, "order-watched")
    open_ones = [await watched_events(stub, FIRST), await watched_status(stub, FIRST, session_id)]

    metadata = await refused(stub, FIRST)

    assert metadata == {"limit_scope": "caller", "limit": str(PER_CALLER)}
    assert await watched_events(stub, SECOND)  # another caller still has room
    assert service.drain.open_streams == len(open_ones) + 1


async def test_the_replica_beyond_its_limit_refuses_every_caller(
    service: Service, stub: Stub
) -> None:
    await record_an_event(stub, FIRST)
    for auth in (FIRST, FIRST, SECOND):
        await watched_events(stub, auth)

    metadata = await refused(stub, SECOND)  # below its own limit, but the replica is full

    assert metadata == {"limit_scope": "replica", "limit": str(PER_REPLICA)}
    assert service.drain.open_streams == PER_REPLICA


async def test_a_stream_the_caller_closes_frees_its_slot(service: Service, stub: Stub) -> None:
    await record_an_event(stub, FIRST)
    first, _ = await watched_events(stub, FIRST), await watched_events(stub, FIRST)
    await refused(stub, FIRST)

    first.cancel()
    await wait_until(lambda: service.drain.open_streams == PER_CALLER - 1)

    assert await watched_events(stub, FIRST)


async def test_unary_calls_and_health_watch_are_not_limited(
    service: Service, channel: grpc.aio.Channel, stub: Stub
) -> None:
    await record_an_event(stub, FIRST)
    for auth in (FIRST, FIRST, SECOND):
        await watched_events(stub, auth)
    await refused(stub, FIRST)

    listed = await stub.ListPaymentEvents(S.ListPaymentEventsRequest(), metadata=FIRST, timeout=5)
    session_id = await open_checkout(stub, FIRST, "order-unary")  # three unary calls
    status = await stub.GetPaymentStatus(S.GetPaymentStatusRequest(id=session_id), metadata=SECOND)
    health = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=10)
    first_health = await health.read()

    assert len(listed.events) == 1
    assert status.status == S.PAYMENT_STATUS_OPEN
    assert first_health.status == health_pb2.HealthCheckResponse.SERVING
    health.cancel()
