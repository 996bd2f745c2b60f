"""How the service talks to Stripe: credentials, where, and how patiently."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StripeSettings:
    """Configuration of the one Stripe client a process holds.

    The first six come from the service's settings, which hold their one default each:
    `api_base` points the SDK at another host (the emulator in tests), None meaning Stripe
    itself; `timeout_seconds` bounds each HTTP attempt (a caller's deadline shortens it
    further); `max_network_retries` is the SDK's own retry budget for connection errors, 409 and
    5xx; `max_connections` is the size of the connection pool (requests beyond it wait their
    turn); `proxy_url` names the forward proxy every request goes through, None (the service's
    setting unset) sending them straight to Stripe. The rest tune this adapter: the
    `rate_limit_*` fields drive its 429 retries, which the SDK does not do.
    """

    api_key: str = field(repr=False)  # never printed: repr() of settings ends up in logs
    api_base: str | None
    timeout_seconds: float
    max_network_retries: int
    max_connections: int
    proxy_url: str | None = field(default=None, repr=False)  # may hold the proxy's password
    connect_timeout_seconds: float = 3.0
    max_rate_limit_retries: int = 3
    rate_limit_base_delay_seconds: float = 0.25
    rate_limit_max_delay_seconds: float = 5.0
    unavailable_retry_after_seconds: float = 1.0
