"""Keepalive enforcement on the gRPC door: a client pinging more often than the door allows
(service/server.py: MIN_CLIENT_PING_INTERVAL_MS without data) gets GOAWAY ENHANCE_YOUR_CALM
"too_many_pings" once past gRPC's strikes (the first ping is free, 2 strikes are forgiven), and
its connection is closed; a client that pings between calls is left alone, and so is every
other client."""

from __future__ import annotations

from h2.errors import ErrorCodes
from h2.events import PingAckReceived

from payments.v1 import payments_pb2
from service.composition import Service
from tests.conftest import Stub
from tests.edge.hostile_grpc import KEY, assert_still_serving
from tests.edge.raw_h2 import RawConnection, call_headers, grpc_message

TOLERATED = 3  # the free ping and gRPC's default grpc.http2.max_ping_strikes (2)
BODY = grpc_message(payments_pb2.GetPaymentStatusRequest(id="cs_1").SerializeToString())


async def acknowledged_pings(connection: RawConnection, count: int) -> None:
    """Sends `count` pings at once and reads until each is acknowledged."""
    for n in range(count):
        connection.h2.ping(b"%08d" % n)
    await connection.flush()
    acks = 0
    while acks < count:
        acks += sum(isinstance(e, PingAckReceived) for e in await connection.events())


async def test_pings_past_the_strikes_get_goaway_too_many_pings(
    service: Service, stub: Stub
) -> None:
    flood = await RawConnection.open(service.address)
    await acknowledged_pings(flood, TOLERATED)
    assert flood.goaways == []

    flood.h2.ping(b"one-more")
    await flood.flush()

    assert await flood.closed_by_server()
    flood.close()
    assert [(g.error_code, g.additional_data) for g in flood.goaways] == [
        (ErrorCodes.ENHANCE_YOUR_CALM, b"too_many_pings")
    ]
    await assert_still_serving(stub)


async def test_a_client_pinging_between_calls_is_left_alone(service: Service) -> None:
    client = await RawConnection.open(service.address)
    for _ in range(2 * TOLERATED):
        await acknowledged_pings(client, 1)
        answer = await client.call(call_headers("GetPaymentStatus", (b"x-api-key", KEY)), BODY)
        assert answer.grpc_status == 5  # NOT_FOUND: served (cs_1 is unknown)

    assert client.goaways == []
    client.close()
