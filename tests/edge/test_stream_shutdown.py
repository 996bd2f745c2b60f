"""Every open stream ends at once when a stop begins, with UNAVAILABLE `SHUTTING_DOWN` and a
RetryInfo: the watch streams, and the server's own (health Watch, reflection's
ServerReflectionInfo). After that new streams and calls are refused alike, while health's Check
keeps answering NOT_SERVING. The stop begins as SIGTERM begins it (`refuse_new_calls`, with a
grace period the streams do not wait for); tests/e2e/test_sigterm_streams.py sends the signal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from payments.v1 import payments_pb2
from service.composition import Service
from tests.conftest import Stub
from tests.streams import (
    Metadata,
    assert_shutting_down,
    end_of,
    open_checkout,
    reason_of,
    record_an_event,
    watched_events,
    watched_status,
)

if TYPE_CHECKING:
    from tests.streams import StreamCall

S = payments_pb2
GRACE_SECONDS = 10.0
"""Long: nothing of these tests may wait for it."""
LIST_SERVICES = reflection_pb2.ServerReflectionRequest(list_services="")


async def health_watch(channel: grpc.aio.Channel) -> StreamCall:
    """A health Watch of the whole server, open: its first answer (SERVING) read."""
    health = health_pb2_grpc.HealthStub(channel)  # untyped (grpc_health ships no stubs)
    watch: StreamCall = health.Watch(health_pb2.HealthCheckRequest(), timeout=60)
    first = await watch.read()
    assert isinstance(first, health_pb2.HealthCheckResponse)
    assert first.status == health_pb2.HealthCheckResponse.SERVING
    return watch


async def reflection_stream(channel: grpc.aio.Channel) -> StreamCall:
    """A ServerReflectionInfo stream left open after one question answered."""
    stream: Any = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(timeout=60)
    await stream.write(LIST_SERVICES)
    answer = await stream.read()
    names = {service.name for service in answer.list_services_response.service}
    assert "payments.v1.PaymentService" in names
    opened: StreamCall = stream
    return opened


async def test_every_open_stream_ends_shutting_down_when_the_stop_begins(
    service: Service, channel: grpc.aio.Channel, stub: Stub, auth: Metadata
) -> None:
    await record_an_event(stub, auth)
    session_id = await open_checkout(stub, auth, "order-watched")
    streams = {
        "WatchPaymentEvents": await watched_events(stub, auth),
        "WatchPaymentStatus": await watched_status(stub, auth, session_id),
        "health Watch": await health_watch(channel),
        "ServerReflectionInfo": await reflection_stream(channel),
    }
    assert service.drain.open_streams == len(streams)

    await service.server.refuse_new_calls(GRACE_SECONDS)

    ended = {name: await end_of(stream) for name, stream in streams.items()}
    assert {name: reason_of(error) for name, error in ended.items()} == dict.fromkeys(
        streams, "SHUTTING_DOWN"
    )
    for error in ended.values():
        assert_shutting_down(error)
    assert service.drain.open_streams == 0
    assert service.drain.in_flight == 0  # the grace period is not waited out for them


async def test_after_the_stop_began_new_streams_and_calls_get_shutting_down(
    service: Service, channel: grpc.aio.Channel, stub: Stub, auth: Metadata
) -> None:
    await record_an_event(stub, auth)
    session_id = await open_checkout(stub, auth, "order-late")
    await service.server.refuse_new_calls(GRACE_SECONDS)

    refused = [
        stub.WatchPaymentEvents(S.WatchPaymentEventsRequest(), metadata=auth, timeout=10),
        stub.WatchPaymentStatus(S.WatchPaymentStatusRequest(id=session_id), metadata=auth),
        health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=10),
    ]
    for stream in refused:
        assert_shutting_down(await end_of(stream))
    reflection: Any = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
    await reflection.write(LIST_SERVICES)
    assert_shutting_down(await end_of(reflection))
    with pytest.raises(grpc.aio.AioRpcError) as unary:
        await stub.GetPaymentStatus(S.GetPaymentStatusRequest(id=session_id), metadata=auth)
    assert_shutting_down(unary.value)
    check = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert check.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_a_reflection_stream_the_client_closes_ends_ok(channel: grpc.aio.Channel) -> None:
    stream: Any = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(timeout=10)
    await stream.write(LIST_SERVICES)
    answer = await stream.read()
    await stream.done_writing()

    assert answer.list_services_response.service
    assert await stream.read() is grpc.aio.EOF
    assert await stream.code() == grpc.StatusCode.OK
