"""Start-up settings of the emulator's webhook deliveries (command line or environment).

``--webhook-url URL --webhook-secret whsec_…`` (or ``STRIPE_EMULATOR_WEBHOOK_URL`` /
``STRIPE_EMULATOR_WEBHOOK_SECRET``) registers one endpoint taking every event, like
``stripe listen --forward-to``; it survives ``/_emulator/reset``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from stripe_emulator.ids import new_id

# Stripe in test mode retries a failed delivery three times over a few hours; it does not
# publish the intervals. These (after the 1st, 2nd, 3rd failure) follow the observed pattern.
TEST_MODE_RETRY_DELAYS = (5 * 60.0, 30 * 60.0, 2 * 60 * 60.0)
DEFAULT_TIMEOUT_SECONDS = 30.0  # Stripe does not publish how long it waits; 30 s is reported

ENV_URL = "STRIPE_EMULATOR_WEBHOOK_URL"
ENV_SECRET = "STRIPE_EMULATOR_WEBHOOK_SECRET"
ENV_TIMEOUT = "STRIPE_EMULATOR_WEBHOOK_TIMEOUT"
ENV_SCALE = "STRIPE_EMULATOR_RETRY_SCALE"


class SettingsError(ValueError):
    """A setting that cannot work; the message says which and why."""


@dataclass(frozen=True)
class WebhookSettings:
    """``url``: a start-up endpoint taking ``*`` (none if ``None``), signed with ``secret``
    (generated when not given). ``retry_scale`` multiplies the retry delays (``0.001`` turns
    hours into seconds); ``timeout_seconds`` is how long one attempt may take."""

    url: str | None = None
    secret: str | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    retry_scale: float = 1.0
    retry_delays: tuple[float, ...] = TEST_MODE_RETRY_DELAYS

    def __post_init__(self) -> None:
        if self.url is not None:
            check_http_url(self.url, "webhook url")
        elif self.secret is not None:
            raise SettingsError("a webhook secret needs a webhook url")
        if self.secret is not None and not self.secret.startswith("whsec_"):
            raise SettingsError("the webhook secret must start with whsec_")
        if self.url is not None and self.secret is None:  # as `stripe listen` makes one up
            object.__setattr__(self, "secret", new_id("whsec"))
        for name in ("timeout_seconds", "retry_scale"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise SettingsError(f"{name} must be a positive number, not {value}")

    def delays(self) -> tuple[float, ...]:
        return tuple(delay * self.retry_scale for delay in self.retry_delays)


def check_http_url(url: str, what: str) -> None:
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a bad port or an unclosed IPv6 bracket
        valid = False
    if not valid:
        raise SettingsError(f"{what} must be an http(s) URL with a host, not {url!r}")


def from_env(env: Mapping[str, str], **overrides: str | None) -> WebhookSettings:
    """Settings from ``STRIPE_EMULATOR_*`` variables; non-``None`` overrides win."""
    values = {
        "url": env.get(ENV_URL),
        "secret": env.get(ENV_SECRET),
        "timeout_seconds": env.get(ENV_TIMEOUT),
        "retry_scale": env.get(ENV_SCALE),
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    return WebhookSettings(
        url=values["url"] or None,
        secret=values["secret"] or None,
        timeout_seconds=_number(values["timeout_seconds"], "timeout", DEFAULT_TIMEOUT_SECONDS),
        retry_scale=_number(values["retry_scale"], "retry scale", 1.0),
    )


def _number(text: str | None, what: str, default: float) -> float:
    if text is None or text == "":
        return default
    try:
        return float(text)
    except ValueError:
        raise SettingsError(f"webhook {what} must be a number, not {text!r}") from None
