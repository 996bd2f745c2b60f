"""The caller's deadline, made visible to the HTTP layer under the SDK.

The SDK does its own retries inside one call and has no per-request timeout, so the deadline
travels in a context variable: each HTTP attempt (including the SDK's retries) reads it and caps
its timeout at the time left, and the SDK's back-off sleeps give up early when they would outlive
it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from domain.call import Deadline

_DEADLINE: ContextVar[Deadline | None] = ContextVar("stripe_adapter_deadline", default=None)


class DeadlinePassed(Exception):
    """Internal: the caller's deadline ran out (or would, during a wait) inside the SDK.

    Not an SDK exception on purpose: the SDK only catches its own APIConnectionError, so this
    one leaves the SDK at once instead of being retried.
    """

    def __init__(self, *, during_retry_wait: bool = False) -> None:
        super().__init__("the caller's deadline leaves no time for this Stripe request")
        self.during_retry_wait = during_retry_wait


def current_remaining() -> float | None:
    """Seconds left on the deadline of the Stripe call being made in this context; None outside
    of one (the SDK used directly, as the adapter never does)."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline.seconds_left()


@contextmanager
def deadline_scope(deadline: Deadline) -> Iterator[None]:
    """Makes `deadline` the one the HTTP layer honours for calls made inside the block."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)
