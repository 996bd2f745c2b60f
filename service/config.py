"""Settings from the environment, checked once at start-up.

Every misconfiguration is a `ConfigError` with one line that names the variable and says what to
do; no secret value is ever part of a message.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from service.auth import ApiKey, fingerprint

DEFAULT_LISTEN_ADDR = "127.0.0.1:50051"
DEFAULT_SUCCESS_URL = "https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}"
DEFAULT_CANCEL_URL = "https://example.com/checkout/cancel"
DEFAULT_GRACE_SECONDS = 10.0
DEFAULT_STRIPE_TIMEOUT_SECONDS = 20.0
DEFAULT_STRIPE_MAX_NETWORK_RETRIES = 2
DEFAULT_DEADLINE_SECONDS = 30.0
DEFAULT_LOG_LEVEL = logging.INFO
DEFAULT_HTTPX_LOG_LEVEL = logging.WARNING
MIN_API_KEY_LENGTH = 16

_CALLER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_LOG_LEVELS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}

_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message is one line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of repr()."""

    api_keys: tuple[ApiKey | str, ...] = field(repr=False)
    """Accepted keys; an ApiKey names its caller, a bare str is identified by its fingerprint."""
    stripe_secret_key: str = field(repr=False)
    listen_addr: str = DEFAULT_LISTEN_ADDR
    stripe_api_base: str | None = None
    success_url: str = DEFAULT_SUCCESS_URL
    cancel_url: str = DEFAULT_CANCEL_URL
    http_addr: str | None = None
    grace_seconds: float = DEFAULT_GRACE_SECONDS
    stripe_timeout_seconds: float = DEFAULT_STRIPE_TIMEOUT_SECONDS
    stripe_max_network_retries: int = DEFAULT_STRIPE_MAX_NETWORK_RETRIES
    default_deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    """The deadline of a call (either door) whose caller set none."""
    log_level: int = DEFAULT_LOG_LEVEL
    httpx_log_level: int = DEFAULT_HTTPX_LOG_LEVEL


def load_settings(env: Mapping[str, str]) -> Settings:
    """Reads and checks every variable; raises ConfigError on the first problem found."""
    _no_sdk_console_log(_get(env, "STRIPE_LOG"))
    return Settings(
        api_keys=_api_keys(env.get("PAYMENTS_API_KEYS", "")),
        stripe_secret_key=_stripe_key(env.get("STRIPE_SECRET_KEY", "")),
        listen_addr=_address("PAYMENTS_LISTEN_ADDR", _get(env, "PAYMENTS_LISTEN_ADDR"))
        or DEFAULT_LISTEN_ADDR,
        stripe_api_base=_url("STRIPE_API_BASE", _get(env, "STRIPE_API_BASE")),
        success_url=_url("PAYMENTS_SUCCESS_URL", _get(env, "PAYMENTS_SUCCESS_URL"))
        or DEFAULT_SUCCESS_URL,
        cancel_url=_url("PAYMENTS_CANCEL_URL", _get(env, "PAYMENTS_CANCEL_URL"))
        or DEFAULT_CANCEL_URL,
        http_addr=_address("PAYMENTS_HTTP_ADDR", _get(env, "PAYMENTS_HTTP_ADDR")),
        grace_seconds=_seconds(
            "PAYMENTS_GRACE_SECONDS", _get(env, "PAYMENTS_GRACE_SECONDS"), DEFAULT_GRACE_SECONDS
        ),
        stripe_timeout_seconds=_seconds(
            "STRIPE_TIMEOUT_SECONDS",
            _get(env, "STRIPE_TIMEOUT_SECONDS"),
            DEFAULT_STRIPE_TIMEOUT_SECONDS,
            positive=True,
        ),
        stripe_max_network_retries=_retries(_get(env, "STRIPE_MAX_NETWORK_RETRIES")),
        default_deadline_seconds=_seconds(
            "PAYMENTS_DEFAULT_DEADLINE_SECONDS",
            _get(env, "PAYMENTS_DEFAULT_DEADLINE_SECONDS"),
            DEFAULT_DEADLINE_SECONDS,
            positive=True,
        ),
        log_level=_log_level(
            "PAYMENTS_LOG_LEVEL", _get(env, "PAYMENTS_LOG_LEVEL"), DEFAULT_LOG_LEVEL
        ),
        httpx_log_level=_log_level(
            "PAYMENTS_HTTPX_LOG_LEVEL",
            _get(env, "PAYMENTS_HTTPX_LOG_LEVEL"),
            DEFAULT_HTTPX_LOG_LEVEL,
        ),
    )


def _no_sdk_console_log(value: str | None) -> None:
    # With STRIPE_LOG=info or debug the Stripe SDK prints every request straight to stderr,
    # past the logging setup: its lines can quote the end of the Stripe key and customers' data.
    if value is not None and value.lower() in ("info", "debug"):
        raise ConfigError(
            "STRIPE_LOG makes the Stripe SDK print requests, and the end of its key, to stderr: "
            "unset it (PAYMENTS_LOG_LEVEL sets the service's own log)"
        )


def _get(env: Mapping[str, str], name: str) -> str | None:
    """The trimmed value, or None when unset or blank (blank means "use the default")."""
    value = env.get(name, "").strip()
    return value or None


def _api_keys(raw: str) -> tuple[ApiKey, ...]:
    """`key` or `name=key` entries, comma-separated. Keys under one name are one caller (for
    rotation); a bare key's fingerprint is its caller's identity. Messages name entries by
    position, never by content: an entry is (part of) a key, which must not reach a log."""
    entries = tuple(entry.strip() for entry in raw.split(",") if entry.strip())
    if not entries:
        raise ConfigError(
            "PAYMENTS_API_KEYS is not set: give the API keys callers may use, comma-separated"
        )
    keys: list[ApiKey] = []
    for position, entry in enumerate(entries, start=1):
        name: str | None = None
        key: str = entry
        if "=" in entry:
            name, _, key = (part.strip() for part in entry.partition("="))
            if not _CALLER_NAME.match(name):
                raise ConfigError(
                    f"PAYMENTS_API_KEYS: entry #{position} has an invalid caller name: write "
                    "name=key, the name 1-40 of a-z 0-9 _ - starting with a letter "
                    "(a key without a name cannot contain '=')"
                )
        # Position, never the key itself: a key must not reach a log through an error message.
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
        for earlier, seen in enumerate(keys, start=1):
            if seen.key == key:
                raise ConfigError(
                    f"PAYMENTS_API_KEYS: key #{position} repeats key #{earlier}; give each key once"
                )
        keys.append(ApiKey(key, name))
    bare_ids = {fingerprint(api_key.key) for api_key in keys if api_key.caller is None}
    for position, api_key in enumerate(keys, start=1):
        if api_key.caller is not None and api_key.caller in bare_ids:
            raise ConfigError(
                f"PAYMENTS_API_KEYS: the caller name of entry #{position} equals the fingerprint "
                "of a key without a name; choose another name"
            )
    return tuple(keys)


def _log_level(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    level = _LOG_LEVELS.get(raw.upper())
    if level is None:
        raise ConfigError(f"{name} must be one of {', '.join(_LOG_LEVELS)} (any case)")
    return level


def _stripe_key(raw: str) -> str:
    key = raw.strip()
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


def _url(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in raw):
        raise ConfigError(f"{name} must be an http(s) URL, e.g. https://example.com/path")
    return raw


def _address(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"{name} must be host:port (port 0-65535; 0 picks a free port)")
    return raw


def _seconds(name: str, raw: str | None, default: float, *, positive: bool = False) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "a positive" if positive else "a non-negative"
        raise ConfigError(f"{name} must be {bound} number of seconds")
    return value


def _retries(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_STRIPE_MAX_NETWORK_RETRIES
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError("STRIPE_MAX_NETWORK_RETRIES must be a whole number from 0 to 10")
    return int(raw)
