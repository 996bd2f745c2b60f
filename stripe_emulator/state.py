"""Everything one emulator instance holds in memory, reachable from any handler."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from stripe_emulator.faults import FaultTable
from stripe_emulator.idempotency import IdempotencyStore
from stripe_emulator.store import Store


@dataclass(frozen=True)
class RecordedRequest:
    """A ``/v1`` request as the emulator decoded it (for spec-conformance tests)."""

    method: str
    route: str  # path template, spelled as in Stripe's spec
    params: dict[str, Any]
    status: int
    error_rule: str | None  # which param check rejected it, if one did
    executed: bool  # passed validation (it may still have failed, e.g. resource_missing)


class EmulatorState:
    def __init__(self, *, record_requests: bool = False) -> None:
        self.store = Store()
        self.faults = FaultTable()
        self.idempotency = IdempotencyStore()
        self.request_counts: Counter[str] = Counter()
        self.connections = 0
        self.recorded: list[RecordedRequest] | None = [] if record_requests else None

    def now(self) -> int:
        return int(time.time())

    def reset(self) -> None:
        """Empty state, no faults, zeroed counters (the recording, if any, is kept)."""
        self.store.clear()
        self.faults.clear()
        self.idempotency.clear()
        self.request_counts.clear()
        self.connections = 0

    def stats(self) -> dict[str, Any]:
        return {
            "objects": self.store.counts(),
            "requests": dict(self.request_counts),
            "connections": self.connections,
        }


STATE = web.AppKey("stripe_emulator_state", EmulatorState)


def state_of(request: web.Request) -> EmulatorState:
    return request.app[STATE]
