"""What one call's log line and metrics say of it, gathered while it runs: the gate fills it in,
and whatever runs for the call (the Stripe requests it makes) finds it as `current_call()`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

import grpc

_CURRENT: ContextVar[CallRecord | None] = ContextVar("payments_call", default=None)


@dataclass(slots=True)
class CallRecord:
    rpc: str  # /payments.v1.PaymentService/CreateCheckout
    door: str  # grpc or http
    started: float = field(default_factory=time.perf_counter)
    caller: str = "-"
    code: grpc.StatusCode = grpc.StatusCode.OK
    reason: str = ""  # the ErrorInfo reason of a failure
    request_id: str = ""
    stripe_request_ids: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def fields(self) -> dict[str, object]:
        """The record as a structured log line's fields."""
        return {
            "rpc": self.rpc,
            "code": self.code.name,
            "reason": self.reason,
            "duration_ms": round(self.seconds * 1000, 1),
            "caller": self.caller,
            "door": self.door,
            "request_id": self.request_id,
            "stripe_request_ids": list(self.stripe_request_ids),
        }


class CallObserver(Protocol):
    def call_ended(self, record: CallRecord) -> None: ...


def current_call() -> CallRecord | None:
    """The record of the call this code runs for, if any."""
    return _CURRENT.get()


@contextmanager
def recording(record: CallRecord) -> Iterator[CallRecord]:
    token = _CURRENT.set(record)
    try:
        yield record
    finally:
        _CURRENT.reset(token)
