"""Injected delivery faults: Stripe's bad habits on demand (``POST /_emulator/delivery_faults``).

``duplicate``, ``out_of_order``, ``delay`` and ``drop`` act on a delivery (one event to one
endpoint); ``wrong_secret`` and ``old_timestamp`` on one attempt of it. Each matching
delivery or attempt uses up one of the rule's ``times``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any

from stripe_emulator import errors

DELIVERY_FAULTS = ("duplicate", "out_of_order", "delay", "drop")
ATTEMPT_FAULTS = ("wrong_secret", "old_timestamp")
_KEYS = {"fault", "type", "endpoint", "times", "delay_ms", "age_seconds"}
DEFAULT_DELAY_MS = 1000
DEFAULT_HOLD_MS = 10_000  # out_of_order: the longest a delivery waits for a later one
DEFAULT_AGE_SECONDS = 600  # twice the SDK's default tolerance of 300 s


@dataclass
class DeliveryFault:
    fault: str
    type: str  # event type, or a pattern with * ("checkout.session.*", "*")
    endpoint: str | None  # we_… or any
    times: int
    delay_ms: int  # delay: how long; out_of_order: the longest hold
    age_seconds: int  # old_timestamp: how far back the signed timestamp lies

    def matches(self, event_type: str, endpoint_id: str) -> bool:
        if self.endpoint is not None and self.endpoint != endpoint_id:
            return False
        return fnmatchcase(event_type, self.type)


class DeliveryFaultTable:
    def __init__(self) -> None:
        self.rules: list[DeliveryFault] = []

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        self.rules.append(_parse(body))
        return self.describe()

    def take(
        self, kinds: tuple[str, ...], event_type: str, endpoint_id: str
    ) -> DeliveryFault | None:
        """The first rule of these kinds matching, using up one of its ``times``."""
        for rule in self.rules:
            if rule.fault in kinds and rule.matches(event_type, endpoint_id):
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()

    def describe(self) -> dict[str, Any]:
        return {"delivery_faults": [asdict(rule) for rule in self.rules]}


def _parse(body: dict[str, Any]) -> DeliveryFault:
    unknown = set(body) - _KEYS
    if unknown:
        raise errors.parameter_unknown(sorted(unknown)[0])
    fault = body.get("fault")
    if fault not in DELIVERY_FAULTS + ATTEMPT_FAULTS:
        kinds = ", ".join(DELIVERY_FAULTS + ATTEMPT_FAULTS)
        raise errors.invalid_request(f"'fault' must be one of {kinds}.", param="fault")
    event_type = body.get("type", "*")
    endpoint = body.get("endpoint")
    if not isinstance(event_type, str) or not event_type:
        raise errors.invalid_request("'type' must be an event type or pattern.", param="type")
    if endpoint is not None and (not isinstance(endpoint, str) or not endpoint):
        raise errors.invalid_request("'endpoint' must be a webhook endpoint id.", param="endpoint")
    default_ms = DEFAULT_HOLD_MS if fault == "out_of_order" else DEFAULT_DELAY_MS
    times = _count(body, "times", 1, minimum=1)
    return DeliveryFault(
        fault=fault,
        type=event_type,
        endpoint=endpoint,
        times=times,
        delay_ms=_count(body, "delay_ms", default_ms, minimum=0),
        age_seconds=_count(body, "age_seconds", DEFAULT_AGE_SECONDS, minimum=1),
    )


def _count(body: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 10**7:
        raise errors.invalid_request(
            f"'{key}' must be an integer from {minimum} to 10000000.", param=key
        )
    return value
