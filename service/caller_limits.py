"""Per-caller limits on unary calls in flight: one caller's burst (a retry storm, a runaway job)
cannot take every connection to Stripe and every worker from the others. Beyond its limit a call
is refused at once with TOO_MANY_CALLS and a short retry delay; streams have limits of their own
(service.draining)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from service.errors import TOO_MANY_CALLS, EdgeError

CALL_RETRY_AFTER_SECONDS = 0.5
"""A unary call lasts from ~1 ms (the ledger) to a Stripe round trip: a slot frees soon."""


class CallerLimits:
    def __init__(self, max_calls_per_caller: int) -> None:
        self._limit = max_calls_per_caller
        self._in_flight: Counter[str] = Counter()

    @contextmanager
    def admit(self, caller: str) -> Iterator[None]:
        """Runs one call of `caller`; raises TOO_MANY_CALLS when it has its limit in flight."""
        if self._in_flight[caller] >= self._limit:
            raise EdgeError(
                TOO_MANY_CALLS,
                f"the caller has {self._limit} calls in flight, its limit: retry shortly",
                metadata={"limit": str(self._limit)},
                retry_after_seconds=CALL_RETRY_AFTER_SECONDS,
            )
        self._in_flight[caller] += 1
        try:
            yield
        finally:
            self._in_flight[caller] -= 1
            if not self._in_flight[caller]:
                del self._in_flight[caller]
