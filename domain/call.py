"""What the use cases know about the call they serve: who asks, by when it must be done, and how
a retry of the same request is recognised."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from domain.errors import DeadlineExceeded


@dataclass(frozen=True, slots=True)
class Deadline:
    """The instant by which a call must be done, on the `time.monotonic()` clock.

    Every call has one: the edge gives a call whose caller set none the service's default, so
    nothing waits on the provider unbounded.
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds)

    def seconds_left(self) -> float:
        """Seconds left before the deadline; zero or less once it has passed."""
        return self.at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.seconds_left() <= 0

    def check(self, doing: str = "before any work was done") -> None:
        """Raises DeadlineExceeded once the deadline has passed: no work is started after it."""
        if self.expired:
            raise DeadlineExceeded(f"the call's deadline passed {doing}")


@dataclass(frozen=True, slots=True)
class CallContext:
    """The caller and the call's limits.

    `caller_id` identifies the caller without revealing its key (the caller name its keys are
    configured under, else the key's fingerprint), so that two callers cannot collide on a
    request_id, and one caller's rotated keys share its request_ids.
    """

    caller_id: str
    deadline: Deadline
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """How a write reaches the provider: its idempotency key and the caller's deadline."""

    idempotency_key: str | None
    deadline: Deadline
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
