"""The graceful stop's shared state: which calls are in flight, and whether new ones are refused.
One `Drain` serves both doors (through the call gate), so a stop waits for every call that may
still use the Stripe client, whichever door it came through.

Streams are calls that never finish on their own: a stop does not wait for them but ends every
one at once with SHUTTING_DOWN (their callers resume elsewhere), and their number is limited
per replica and per caller, apart from unary calls.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from domain.call import Deadline
from service.errors import SHUTTING_DOWN, TOO_MANY_STREAMS, EdgeError

SHUTTING_DOWN_MESSAGE = "the service is shutting down; retry on another instance"
SHUTDOWN_RETRY_AFTER_SECONDS = 1.0
"""Long enough for a load balancer to notice NOT_SERVING before the retry, short enough not to
matter to a caller that retries on another instance anyway."""


STREAM_RETRY_AFTER_SECONDS = 5.0
"""A refused stream's retry delay: streams are long-lived, so one ends only now and then."""


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Open streams this replica serves at most, and one caller may have at most."""

    per_replica: int = 5000
    per_caller: int = 1000


def shutting_down() -> EdgeError:
    """A new call arrived while the service drains; another instance can serve it."""
    return EdgeError(
        SHUTTING_DOWN, SHUTTING_DOWN_MESSAGE, retry_after_seconds=SHUTDOWN_RETRY_AFTER_SECONDS
    )


class Drain:
    """Counts calls in flight; once `begin` is called, refuses new ones until the process ends."""

    def __init__(self, stream_limits: StreamLimits | None = None) -> None:
        self._stream_limits = stream_limits or StreamLimits()
        self._streams: dict[asyncio.Task[object], str | None] = {}  # each stream's caller
        self._streams_by_caller: Counter[str] = Counter()
        self._cut: set[asyncio.Task[object]] = set()
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
        self._cut_streams()
        return True

    @property
    def open_streams(self) -> int:
        return len(self._streams)

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

    @contextmanager
    def admit_stream(self, caller: str | None) -> Iterator[None]:
        """Runs one stream, in the current task: ended with SHUTTING_DOWN when the drain begins.
        A caller's stream (`caller` given) counts against the limits, TOO_MANY_STREAMS beyond;
        the server's own (health Watch, reflection: None) only ends with the others."""
        self._check_stream_limits(caller)
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a stream runs in a task")
        # Not counted in flight here: a caller's stream is, by the gate; the server's own need
        # no waiting for, since they end at once.
        self._streams[task] = caller
        if caller is not None:
            self._streams_by_caller[caller] += 1
        try:
            yield
        except asyncio.CancelledError:
            if task not in self._cut:
                raise
            task.uncancel()  # cut by the drain: the stream ends with SHUTTING_DOWN instead
            raise shutting_down() from None
        finally:
            self._forget_stream(task, caller)

    def _check_stream_limits(self, caller: str | None) -> None:
        if self.draining:
            raise shutting_down()
        if caller is None:
            return
        limits = self._stream_limits
        if self._streams_by_caller[caller] >= limits.per_caller:
            raise _too_many_streams(f"the caller has {limits.per_caller} streams open", "caller",
                                    limits.per_caller)  # fmt: skip
        if sum(self._streams_by_caller.values()) >= limits.per_replica:
            raise _too_many_streams(f"this replica serves {limits.per_replica} streams",
                                    "replica", limits.per_replica)  # fmt: skip

    def _forget_stream(self, task: asyncio.Task[object], caller: str | None) -> None:
        del self._streams[task]
        self._cut.discard(task)
        if caller is not None:
            self._streams_by_caller[caller] -= 1
            if not self._streams_by_caller[caller]:
                del self._streams_by_caller[caller]

    def _cut_streams(self) -> None:
        for task in self._streams:
            self._cut.add(task)
            task.cancel()


def _too_many_streams(why: str, scope: str, limit: int) -> EdgeError:
    return EdgeError(
        TOO_MANY_STREAMS,
        f"{why}, its limit: close one, or retry later (or on another replica)",
        metadata={"limit_scope": scope, "limit": str(limit)},
        retry_after_seconds=STREAM_RETRY_AFTER_SECONDS,
    )
