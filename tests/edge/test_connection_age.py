"""Long-lived connections: at its maximum age (PAYMENTS_GRPC_MAX_CONNECTION_AGE_SECONDS) the
server closes a connection (GOAWAY, then the grace period), so an open watch stream on it ends
UNAVAILABLE, and the caller watches again on a new connection."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from service.config import Settings
from tests.conftest import Stub
from tests.edge.conftest import settings_for
from tests.streams import Metadata, end_of, record_an_event, watched_events

MAX_AGE_SECONDS = 1.0
AGE_GRACE_SECONDS = 0.2


@pytest.fixture
def settings() -> Settings:
    return settings_for(
        grpc_max_connection_age_seconds=MAX_AGE_SECONDS, grace_seconds=AGE_GRACE_SECONDS
    )


async def test_a_stream_ends_unavailable_at_the_connections_maximum_age(
    stub: Stub, auth: Metadata
) -> None:
    await record_an_event(stub, auth)
    watch = await watched_events(stub, auth)

    # The age (±10 % jitter) plus its grace, with room to spare on a loaded machine.
    ended = await asyncio.wait_for(end_of(watch), timeout=15)

    assert ended.code() == grpc.StatusCode.UNAVAILABLE, ended
    assert await watched_events(stub, auth)  # watched again, on a new connection
