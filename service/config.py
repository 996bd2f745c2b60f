"""Settings from the environment, checked once at start-up: each variable named once (in
`load_settings`), each setting with one default (on `Settings`). A misconfiguration is a
`ConfigError`, one line that names the variable and what to do; never a secret value.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

from service.auth import ApiKey, fingerprint

MIN_API_KEY_LENGTH = 16

_CALLER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_LOG_LEVELS = {
    name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
}
_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
T = TypeVar("T")


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message is one line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of repr()."""

    api_keys: tuple[ApiKey | str, ...] = field(repr=False)
    """Accepted keys; an ApiKey names its caller, a bare str is identified by its fingerprint."""
    stripe_secret_key: str = field(repr=False)
    listen_addr: str = "127.0.0.1:50051"
    stripe_api_base: str | None = None
    success_url: str = "https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    cancel_url: str = "https://example.com/checkout/cancel"
    http_addr: str | None = None
    grace_seconds: float = 10.0
    stripe_timeout_seconds: float = 20.0
    stripe_max_network_retries: int = 2
    default_deadline_seconds: float = 30.0
    """The deadline of a call (either door) whose caller set none."""
    log_level: int = logging.INFO
    httpx_log_level: int = logging.WARNING


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Reads and checks every variable; raises ConfigError on the first problem found. A variable
    unset or blank leaves its setting at the default."""
    env = _Env(environ)
    _no_sdk_console_log(env.get("STRIPE_LOG"))
    values: dict[str, Any] = {
        "api_keys": _api_keys(env.get("PAYMENTS_API_KEYS")),
        "stripe_secret_key": _stripe_key(env.get("STRIPE_SECRET_KEY")),
        "listen_addr": env.address("PAYMENTS_LISTEN_ADDR"),
        "stripe_api_base": env.url("STRIPE_API_BASE"),
        "success_url": env.url("PAYMENTS_SUCCESS_URL"),
        "cancel_url": env.url("PAYMENTS_CANCEL_URL"),
        "http_addr": env.address("PAYMENTS_HTTP_ADDR"),
        "grace_seconds": env.seconds("PAYMENTS_GRACE_SECONDS"),
        "stripe_timeout_seconds": env.seconds("STRIPE_TIMEOUT_SECONDS", positive=True),
        "stripe_max_network_retries": env.whole("STRIPE_MAX_NETWORK_RETRIES", 0, 10),
        "default_deadline_seconds": env.seconds("PAYMENTS_DEFAULT_DEADLINE_SECONDS", positive=True),
        "log_level": env.log_level("PAYMENTS_LOG_LEVEL"),
        "httpx_log_level": env.log_level("PAYMENTS_HTTPX_LOG_LEVEL"),
    }
    return Settings(**{name: value for name, value in values.items() if value is not None})


class _Env:
    """Checked reads of the environment: each returns None for a variable unset or blank (its
    setting keeps the default), else the parsed value, or raises ConfigError naming it."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        return self._environ.get(name, "").strip() or None

    def url(self, name: str) -> str | None:
        def parse(raw: str) -> str | None:
            parts = urlsplit(raw)
            well_formed = parts.scheme in ("http", "https") and parts.netloc
            return raw if well_formed and not any(c.isspace() for c in raw) else None

        return self._read(name, parse, "an http(s) URL, e.g. https://example.com/path")

    def address(self, name: str) -> str | None:
        def parse(raw: str) -> str | None:
            host, sep, port = raw.rpartition(":")
            return raw if sep and host and port.isdigit() and int(port) <= 65535 else None

        return self._read(name, parse, "host:port (port 0-65535; 0 picks a free port)")

    def seconds(self, name: str, *, positive: bool = False) -> float | None:
        def parse(raw: str) -> float | None:
            try:
                value = float(raw)
            except ValueError:
                return None
            in_range = math.isfinite(value) and value >= 0 and (value > 0 or not positive)
            return value if in_range else None

        bound = "a positive" if positive else "a non-negative"
        return self._read(name, parse, f"{bound} number of seconds")

    def whole(self, name: str, low: int, high: int) -> int | None:
        def parse(raw: str) -> int | None:
            return int(raw) if raw.isdigit() and low <= int(raw) <= high else None

        return self._read(name, parse, f"a whole number from {low} to {high}")

    def log_level(self, name: str) -> int | None:
        def parse(raw: str) -> int | None:
            return (
                logging.getLevelNamesMapping()[raw.upper()] if raw.upper() in _LOG_LEVELS else None
            )

        return self._read(name, parse, f"one of {', '.join(_LOG_LEVELS)} (any case)")

    def _read(self, name: str, parse: Callable[[str], T | None], expected: str) -> T | None:
        raw = self.get(name)
        if raw is None:
            return None
        value = parse(raw)
        if value is None:
            raise ConfigError(f"{name} must be {expected}")
        return value


def _no_sdk_console_log(value: str | None) -> None:
    # With STRIPE_LOG=info or debug the Stripe SDK prints every request straight to stderr,
    # past the logging setup: its lines can quote the end of the Stripe key and customers' data.
    if value is not None and value.lower() in ("info", "debug"):
        raise ConfigError(
            "STRIPE_LOG makes the Stripe SDK print requests, and the end of its key, to stderr: "
            "unset it (PAYMENTS_LOG_LEVEL sets the service's own log)"
        )


def _api_keys(raw: str | None) -> tuple[ApiKey, ...]:
    """`key` or `name=key` entries, comma-separated. Keys under one name are one caller (for
    rotation); a bare key's fingerprint is its caller's identity. Messages name entries by
    position, never by content: an entry is (part of) a key, which must not reach a log."""
    entries = [entry.strip() for entry in (raw or "").split(",") if entry.strip()]
    if not entries:
        raise ConfigError(
            "PAYMENTS_API_KEYS is not set: give the API keys callers may use, comma-separated"
        )
    keys = [_api_key(position, entry) for position, entry in enumerate(entries, start=1)]
    for position, api_key in enumerate(keys, start=1):
        earlier = [seen.key for seen in keys[: position - 1]]
        if api_key.key in earlier:
            raise ConfigError(
                f"PAYMENTS_API_KEYS: key #{position} repeats key #{earlier.index(api_key.key) + 1}"
                "; give each key once"
            )
    bare_ids = {fingerprint(api_key.key) for api_key in keys if api_key.caller is None}
    for position, api_key in enumerate(keys, start=1):
        if api_key.caller is not None and api_key.caller in bare_ids:
            raise ConfigError(
                f"PAYMENTS_API_KEYS: the caller name of entry #{position} equals the fingerprint "
                "of a key without a name; choose another name"
            )
    return tuple(keys)


def _api_key(position: int, entry: str) -> ApiKey:
    name: str | None = None
    key = entry
    if "=" in entry:
        name, _, key = (part.strip() for part in entry.partition("="))
        if not _CALLER_NAME.match(name):
            raise ConfigError(
                f"PAYMENTS_API_KEYS: entry #{position} has an invalid caller name: write "
                "name=key, the name 1-40 of a-z 0-9 _ - starting with a letter "
                "(a key without a name cannot contain '=')"
            )
    if len(key) < MIN_API_KEY_LENGTH:
        where = " (the part after the first '=' of name=key)" if name is not None else ""
        raise ConfigError(
            f"PAYMENTS_API_KEYS: key #{position}{where} is shorter than {MIN_API_KEY_LENGTH} "
            "characters; use long random keys"
        )
    if not key.isascii() or not key.isprintable() or any(ch.isspace() for ch in key):
        raise ConfigError(
            f"PAYMENTS_API_KEYS: key #{position} must be printable ASCII without spaces"
        )
    return ApiKey(key, name)


def _stripe_key(raw: str | None) -> str:
    key = raw or ""
    if not key:
        raise ConfigError("STRIPE_SECRET_KEY is not set: give a Stripe test-mode key (sk_test_…)")
    if key.startswith(_LIVE_KEY_PREFIXES):
        raise ConfigError(
            "STRIPE_SECRET_KEY is a live-mode key; this service only runs against Stripe test "
            "mode: use an sk_test_… or rk_test_… key"
        )
    if not key.startswith(_TEST_KEY_PREFIXES) or len(key) == len("sk_test_"):
        raise ConfigError(
            "STRIPE_SECRET_KEY is not a Stripe test-mode key: it must start with sk_test_ or "
            "rk_test_"
        )
    return key
