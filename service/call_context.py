"""The current call's CallContext, carried in a ContextVar so that servicer methods need nothing
from the transport's context object (the HTTP gateway passes a stand-in).

gRPC runs each call in its own task, so a value set for one call is never seen by another.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from domain.call import CallContext

T = TypeVar("T")

current_call: ContextVar[CallContext | None] = ContextVar("current_call", default=None)
"""The CallContext of the call being served; set by the transport before the servicer runs."""

current_caller: ContextVar[str | None] = ContextVar("current_caller", default=None)
"""The authenticated caller's id (its configured name, else its key's fingerprint); set by
authentication, read by logging."""


def deadline_from_remaining(remaining_seconds: float | None) -> float | None:
    """Turns "seconds left" (gRPC's time_remaining()) into a deadline on the monotonic clock."""
    if remaining_seconds is None:
        return None
    return time.monotonic() + remaining_seconds


def request_id_of(request: object) -> str:
    """The request's `request_id` (AIP-155), or "" for a request that has none (reads)."""
    value = getattr(request, "request_id", "")
    return value if isinstance(value, str) else ""


def build_call(
    caller_id: str,
    request_id: str = "",
    remaining_seconds: float | None = None,
    *,
    default_deadline_seconds: float | None = None,
) -> CallContext:
    """The CallContext of a call; both doors build theirs here. A call whose caller set no
    deadline (`remaining_seconds` None) gets `default_deadline_seconds`, so that no call waits
    on Stripe unbounded (PAYMENTS_DEFAULT_DEADLINE_SECONDS)."""
    if remaining_seconds is None:
        remaining_seconds = default_deadline_seconds
    return CallContext(
        caller_id=caller_id,
        request_id=request_id,
        deadline=deadline_from_remaining(remaining_seconds),
    )


def require_current_call() -> CallContext:
    """The current call; a missing one is a wiring bug (no transport set it), not a caller error."""
    call = current_call.get()
    if call is None:
        raise RuntimeError("no CallContext is set: the call did not go through the transport")
    return call


async def run_with_call(call: CallContext, method: Callable[[], Awaitable[T]]) -> T:
    """Runs `method()` with `call` as the current call, restoring the previous value after."""
    token = current_call.set(call)
    caller_token = current_caller.set(call.caller_id)
    try:
        return await method()
    finally:
        current_caller.reset(caller_token)
        current_call.reset(token)
