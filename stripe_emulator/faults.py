"""Injected faults: error statuses, dropped connections and added latency for ``/v1`` calls.

Configured through ``POST /_emulator/faults``; see ``docs/emulator.md``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from stripe_emulator import errors

RATE_LIMIT_MESSAGE = (
    "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
    "requests."
)
DROP_MODES = ("before", "after")
_FAULT_KEYS = {"path", "method", "status", "drop", "times", "retry_after"}
_LATENCY_KEYS = {"latency_ms", "jitter_ms"}


@dataclass
class Fault:
    """One rule; ``path`` is exact, or a prefix when it ends in ``*``."""

    path: str
    method: str | None
    status: int | None
    drop: str | None
    times: int
    retry_after: int | None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def error(self) -> errors.StripeError:
        """The injected error, in Stripe's envelope; never saved under an idempotency key."""
        assert self.status is not None
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        if self.status == 429:
            return errors.StripeError(
                429, RATE_LIMIT_MESSAGE, code="rate_limit", headers=headers, saved=False
            )
        if self.status >= 500:
            return errors.StripeError(
                self.status,
                "An unknown error occurred while processing your request (injected fault).",
                error_type="api_error",
                headers=headers,
                saved=False,
            )
        return errors.StripeError(self.status, "Injected fault.", headers=headers, saved=False)

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "drop": self.drop,
            "times": self.times,
            "retry_after": self.retry_after,
        }


class FaultTable:
    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.latency_ms = 0
        self.jitter_ms = 0

    def configure(self, body: Any) -> dict[str, Any]:
        """Apply one ``POST /_emulator/faults`` body; raises ``StripeError`` when malformed."""
        if not isinstance(body, dict) or not body:
            raise errors.invalid_request("Expected a JSON object describing a fault.")
        unknown = set(body) - _FAULT_KEYS - _LATENCY_KEYS
        if unknown:
            raise errors.parameter_unknown(sorted(unknown)[0])
        if _LATENCY_KEYS & set(body):
            self.latency_ms = _non_negative_int(body, "latency_ms", self.latency_ms)
            self.jitter_ms = _non_negative_int(body, "jitter_ms", 0)
        if _FAULT_KEYS & set(body):
            self.rules.append(_parse_fault(body))
        return self.describe()

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, using up one of its ``times``."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def delay_seconds(self) -> float:
        if self.latency_ms == 0 and self.jitter_ms == 0:
            return 0.0
        jitter = random.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000

    def clear(self) -> None:
        self.rules.clear()
        self.latency_ms = 0
        self.jitter_ms = 0

    def describe(self) -> dict[str, Any]:
        return {
            "faults": [rule.describe() for rule in self.rules],
            "latency_ms": self.latency_ms,
            "jitter_ms": self.jitter_ms,
        }


def _parse_fault(body: dict[str, Any]) -> Fault:
    path = body.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise errors.invalid_request("'path' must be a string starting with '/'.", param="path")
    method = body.get("method")
    if method is not None and (not isinstance(method, str) or not method):
        raise errors.invalid_request("'method' must be an HTTP method.", param="method")
    status = body.get("status")
    drop = body.get("drop")
    if (status is None) == (drop is None):
        raise errors.invalid_request("Give exactly one of 'status' or 'drop'.", param="status")
    if status is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599
    ):
        raise errors.invalid_request("'status' must be an integer 400-599.", param="status")
    if drop is not None and drop not in DROP_MODES:
        raise errors.invalid_request("'drop' must be 'before' or 'after'.", param="drop")
    retry_after = body.get("retry_after")
    if retry_after is not None:
        retry_after = _non_negative_int(body, "retry_after", 0)
    times = _non_negative_int(body, "times", 1)
    if times < 1:
        raise errors.invalid_request("'times' must be at least 1.", param="times")
    return Fault(
        path=path,
        method=method.upper() if isinstance(method, str) else None,
        status=status,
        drop=drop,
        times=times,
        retry_after=retry_after,
    )


def _non_negative_int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 600_000:
        raise errors.invalid_request(f"'{key}' must be a non-negative integer.", param=key)
    return value
