"""Everything one emulator instance holds in memory, reachable from any handler."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from stripe_emulator.faults import FaultTable
from stripe_emulator.idempotency import IdempotencyStore
from stripe_emulator.ids import new_id
from stripe_emulator.objects.webhook_endpoint import build_webhook_endpoint
from stripe_emulator.settings import WebhookSettings
from stripe_emulator.store import JSON, Store
from stripe_emulator.webhooks.delivery import Deliverer


@dataclass(frozen=True)
class RecordedRequest:
    """A ``/v1`` request as the emulator decoded it (for spec-conformance tests)."""

    method: str
    route: str  # path template, spelled as in Stripe's spec
    params: dict[str, Any]
    status: int
    error_rule: str | None  # which param check rejected it, if one did
    executed: bool  # passed validation (it may still have failed, e.g. resource_missing)


# Webhook deliveries start once the API has had no request for this long (docs/emulator.md).
API_QUIET_SECONDS = 0.05


class EmulatorState:
    """One generation of the emulator's state: everything ``/_emulator/reset`` throws away.

    A request works on the generation that was current when it arrived (see ``state_of``),
    so a reset while it is still running neither pulls state from under it nor receives its
    late writes: it finishes against the discarded generation, as if it had completed just
    before the reset.
    """

    def __init__(
        self,
        *,
        recorded: list[RecordedRequest] | None = None,
        generation: int = 0,
        webhooks: WebhookSettings | None = None,
        forwarding_endpoint_id: str | None = None,
    ) -> None:
        self.generation = generation
        self.store = Store()
        self.webhooks = webhooks or WebhookSettings()
        self.deliveries = Deliverer(self.store, self.webhooks, api_busy=self._api_busy)
        if self.webhooks.url is not None:
            self._add_forwarding_endpoint(forwarding_endpoint_id or new_id("we"))
        self.faults = FaultTable()
        self.idempotency = IdempotencyStore()
        self.request_counts: Counter[str] = Counter()
        self.connections = 0
        self.in_flight = 0  # /v1 requests of this generation not yet answered
        self.last_api_answer = 0.0  # time.perf_counter() when a /v1 request was last answered
        self.recorded = recorded  # shared by all generations

    def _add_forwarding_endpoint(self, endpoint_id: str) -> JSON:
        """The start-up endpoint (``--webhook-url``): every event, the configured secret."""
        assert self.webhooks.url is not None
        assert self.webhooks.secret is not None
        params = {
            "url": self.webhooks.url,
            "enabled_events": ["*"],
            "description": "--webhook-url (emulator start-up setting)",
        }
        endpoint = {**build_webhook_endpoint(params, self.now()), "id": endpoint_id}
        self.store.webhook_secrets[endpoint_id] = self.webhooks.secret
        return self.store.add(endpoint)

    def _api_busy(self) -> bool:
        """A /v1 request is being handled, or one was answered in the last
        ``API_QUIET_SECONDS``."""
        recent = time.perf_counter() - self.last_api_answer < API_QUIET_SECONDS
        return self.in_flight > 0 or recent

    def now(self) -> int:
        return int(time.time())

    def stats(self) -> dict[str, Any]:
        return {
            "objects": self.store.counts(),
            "requests": dict(self.request_counts),
            "connections": self.connections,
            "in_flight": self.in_flight,
            "deliveries": {
                "attempts": len(self.deliveries.attempts),
                "in_progress": self.deliveries.in_progress(),
            },
        }


class StateHolder:
    """The current generation; a reset starts a new, empty one."""

    def __init__(
        self, *, record_requests: bool = False, webhooks: WebhookSettings | None = None
    ) -> None:
        self.webhooks = webhooks or WebhookSettings()
        # One id for the start-up endpoint across resets, as its URL and secret stay too.
        self.forwarding_endpoint_id = new_id("we") if self.webhooks.url is not None else None
        self.current = self._generation(recorded=[] if record_requests else None, number=0)

    def _generation(self, recorded: list[RecordedRequest] | None, number: int) -> EmulatorState:
        return EmulatorState(
            recorded=recorded,
            generation=number,
            webhooks=self.webhooks,
            forwarding_endpoint_id=self.forwarding_endpoint_id,
        )

    def reset(self) -> EmulatorState:
        """Empty state, no faults, zeroed counters (the recording, if any, is kept; so is the
        start-up webhook endpoint). The caller closes the old generation's deliveries.

        The old generation is replaced, not cleared: requests still running on it keep a
        consistent (if discarded) state to finish against.
        """
        old = self.current
        self.current = self._generation(old.recorded, old.generation + 1)
        return self.current


STATE = web.AppKey("stripe_emulator_state", StateHolder)
_REQUEST_STATE = web.RequestKey("stripe_emulator_request_state", EmulatorState)


def pin_state(request: web.Request) -> EmulatorState:
    """Bind ``request`` to the current generation for the rest of its life."""
    state = request.app[STATE].current
    request[_REQUEST_STATE] = state
    return state


def state_of(request: web.Request) -> EmulatorState:
    """The generation this request started on (pinned on first use)."""
    state = request.get(_REQUEST_STATE)
    return state if state is not None else pin_state(request)
