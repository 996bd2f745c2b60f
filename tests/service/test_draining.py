"""The Drain: calls in flight counted, new ones refused once a stop begins, an event to wait on."""

from __future__ import annotations

import asyncio

import pytest

from service.draining import Drain
from service.errors import SHUTTING_DOWN, EdgeError


def test_counts_calls_in_flight_until_they_leave() -> None:
    drain = Drain()
    with drain.admit():
        with drain.admit():
            assert drain.in_flight == 2
        assert drain.in_flight == 1
    assert drain.in_flight == 0


def test_a_call_that_fails_leaves_too() -> None:
    drain = Drain()
    with pytest.raises(ZeroDivisionError), drain.admit():
        raise ZeroDivisionError
    assert drain.in_flight == 0


def test_refuses_new_calls_once_the_drain_began() -> None:
    drain = Drain()
    assert drain.begin(grace_seconds=5)
    with pytest.raises(EdgeError, match="shutting down") as refused, drain.admit():
        pass
    assert refused.value.problem is SHUTTING_DOWN
    assert drain.in_flight == 0


def test_the_first_grace_period_stands() -> None:
    drain = Drain()
    drain.begin(grace_seconds=5)
    assert not drain.begin(grace_seconds=60)
    assert 0 < drain.remaining_seconds() <= 5


async def test_wait_idle_returns_when_the_last_call_leaves() -> None:
    drain = Drain()
    entered, leave = asyncio.Event(), asyncio.Event()
    happened: list[str] = []

    async def call() -> None:
        with drain.admit():
            entered.set()
            await leave.wait()
            happened.append("call left")

    async def stop() -> None:
        await drain.wait_idle()
        happened.append("idle")

    running = asyncio.create_task(call())
    await entered.wait()
    drain.begin(grace_seconds=60)
    stopping = asyncio.create_task(stop())
    leave.set()
    await asyncio.gather(running, stopping)
    assert happened == ["call left", "idle"]


async def test_wait_idle_gives_up_when_the_grace_period_is_over() -> None:
    drain = Drain()
    with drain.admit():
        drain.begin(grace_seconds=0)
        assert not await drain.wait_idle()


async def test_wait_idle_with_nothing_in_flight_returns_at_once() -> None:
    drain = Drain()
    drain.begin(grace_seconds=0)
    assert await drain.wait_idle()
