"""Several StripeObservers as one (the metrics, and the traces when on)."""

from __future__ import annotations

from collections.abc import Sequence

from stripe_adapter.observed import StripeObserver


class AllObservers:
    def __init__(self, observers: Sequence[StripeObserver]) -> None:
        self._observers = tuple(observers)

    def stripe_request(
        self, method: str, endpoint: str, outcome: str, seconds: float, request_id: str
    ) -> None:
        for observer in self._observers:
            observer.stripe_request(method, endpoint, outcome, seconds, request_id)

    def stripe_retry(self, reason: str) -> None:
        for observer in self._observers:
            observer.stripe_retry(reason)
