"""What the use cases know about the call they serve: who asks, how long they wait, and how a
retry of the same request is recognised."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from domain.errors import DeadlineExceeded


def seconds_left(deadline: float | None) -> float | None:
    """Seconds left before `deadline` (on the `time.monotonic()` clock); None without one."""
    return None if deadline is None else deadline - time.monotonic()


@dataclass(frozen=True, slots=True)
class CallContext:
    """The caller and the call's limits.

    `caller_id` identifies the caller without revealing its key (the caller name its keys are
    configured under, else the key's fingerprint), so that two callers cannot collide on a
    request_id, and one caller's rotated keys share its request_ids. `deadline` is on the
    `time.monotonic()` clock.
    """

    caller_id: str
    request_id: str = ""
    deadline: float | None = None

    def remaining_seconds(self) -> float | None:
        """Seconds left before the deadline, or None without one."""
        return seconds_left(self.deadline)

    def ensure_time_left(self) -> None:
        """Raises DeadlineExceeded when the caller has already given up: no work is started."""
        remaining = self.remaining_seconds()
        if remaining is not None and remaining <= 0:
            raise DeadlineExceeded("the call's deadline passed before any work was done")


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """How a write reaches the provider: its idempotency key and the caller's deadline."""

    idempotency_key: str | None
    deadline: float | None
    operation: str
    request_id: str


def write_options(call: CallContext, operation: str) -> WriteOptions:
    """Derives the provider idempotency key from caller, operation and request_id.

    The same caller retrying the same operation with the same request_id gets the same key, so the
    provider returns the first result instead of creating a second object; other callers or other
    operations never share it. Without a request_id there is no key here: the provider client
    makes one per call and reuses it across its own retries.
    """
    key = None
    if call.request_id:
        digest = hashlib.sha256(
            "\x1f".join((call.caller_id, operation, call.request_id)).encode()
        ).hexdigest()
        key = f"payments-v1-{digest[:48]}"
    return WriteOptions(
        idempotency_key=key,
        deadline=call.deadline,
        operation=operation,
        request_id=call.request_id,
    )
