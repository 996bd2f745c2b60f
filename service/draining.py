"""The graceful stop's shared state: which calls are in flight, and whether new ones are refused.
One `Drain` serves both doors (through the call gate), so a stop waits for every call that may
still use the Stripe client, whichever door it came through."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from domain.call import Deadline
from service.errors import SHUTTING_DOWN, EdgeError

SHUTTING_DOWN_MESSAGE = "the service is shutting down; retry on another instance"
SHUTDOWN_RETRY_AFTER_SECONDS = 1.0
"""Long enough for a load balancer to notice NOT_SERVING before the retry, short enough not to
matter to a caller that retries on another instance anyway."""


def shutting_down() -> EdgeError:
    """A new call arrived while the service drains; another instance can serve it."""
    return EdgeError(
        SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE, retry_after_seconds=SHUTDOWN_RETRY_AFTER_SECONDS
    )


class Drain:
    """Counts calls in flight; once `begin` is called, refuses new ones until the process ends."""

    def __init__(self) -> None:
        self._in_flight = 0
        # Set whenever nothing is in flight, so a stop waits on it instead of polling a counter.
        self._idle = asyncio.Event()
        self._idle.set()
        self._grace: Deadline | None = None  # when the grace period ends, once draining

    @property
    def draining(self) -> bool:
        return self._grace is not None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def begin(self, grace_seconds: float) -> bool:
        """Refuses new calls from now on, for a grace period of `grace_seconds`; False (the first
        grace stands, a second signal cannot stretch it) when the drain had begun already."""
        if self._grace is not None:
            return False
        self._grace = Deadline.after(grace_seconds)
        return True

    def remaining_seconds(self) -> float:
        """What is left of the grace period (0 once it is over, or before the drain began)."""
        return 0.0 if self._grace is None else max(0.0, self._grace.seconds_left())

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Runs one call, counted as in flight; raises SHUTTING_DOWN once the drain has begun."""
        if self.draining:
            raise shutting_down()
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def wait_idle(self) -> bool:
        """Waits until no call is in flight or the grace period is over; True if none is left."""
        if self._in_flight == 0:
            return True
        try:
            async with asyncio.timeout(self.remaining_seconds()):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True
