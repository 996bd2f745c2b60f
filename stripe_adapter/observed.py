"""What the service may want to know of each Stripe request (metrics, the call's log line),
told to a `StripeObserver` by a wrapper of the SDK's HTTP client: every attempt, the SDK's own
retries included, with its endpoint (ids replaced, so the set of endpoints stays small), its
outcome and Stripe's request id."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

import stripe

_ID_SEGMENT = re.compile(r"^[a-z]{2,8}_[A-Za-z0-9_]+$")  # cus_…, cs_test_…, prod_…, pi_…
NETWORK_ERROR = "network_error"


class StripeObserver(Protocol):
    def stripe_request(
        self, method: str, endpoint: str, outcome: str, seconds: float, request_id: str
    ) -> None:
        """One attempt ended: `outcome` is the HTTP status ("200", "429", …) or network_error;
        `request_id` is Stripe's Request-Id ("" without an answer)."""
        ...

    def stripe_retry(self, reason: str) -> None:
        """A request is about to be tried again: `sdk` (a connection error, 409 or 5xx, by the
        SDK) or `rate_limited` (a 429, by the runner)."""
        ...


def endpoint_of(url: str) -> str:
    """`/v1/checkout/sessions/{id}/expire` for …/v1/checkout/sessions/cs_test_a1/expire."""
    # The path, without urlsplit's full parse: "https://host:port/v1/…?query" → "/v1/…".
    segments = ("/" + url.partition("?")[0].split("/", 3)[-1]).split("/")
    return "/".join("{id}" if _ID_SEGMENT.match(s) else s for s in segments)


class ObservedHTTPClient(stripe.HTTPClient):
    """The SDK's HTTP client `inner`, each attempt told to `observer`; its owner closes it."""

    name = "observed"

    def __init__(self, inner: stripe.HTTPClient, observer: StripeObserver) -> None:
        super().__init__()
        self._inner = inner
        self._observer = observer

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        started = time.perf_counter()
        outcome, request_id = NETWORK_ERROR, ""
        try:
            body, status, answered = await self._inner.request_async(
                method, url, headers, post_data
            )
            outcome, request_id = str(status), _request_id(answered)
            return body, status, answered
        finally:
            seconds = time.perf_counter() - started
            self._observer.stripe_request(
                method.upper(), endpoint_of(url), outcome, seconds, request_id
            )

    def sleep_async(self, secs: float) -> Awaitable[None]:
        # The SDK sleeps only before retrying (the inner client may refuse the wait: no retry).
        waiting = self._inner.sleep_async(secs)
        self._observer.stripe_retry("sdk")
        return waiting

    async def close_async(self) -> None:
        """Nothing: the inner client's owner closes it (StripeConnection.aclose)."""


def _request_id(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if name.lower() == "request-id":
            return str(value)
    return ""
