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
from typing import Any
from urllib.parse import urlsplit

from service.auth import ApiKey, fingerprint

MIN_API_KEY_LENGTH = 16
SQLITE_FILE = "payments.sqlite3"

_CALLER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_LOG_LEVELS = {
    name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
}
_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message is one line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of repr()."""

    api_keys: tuple[ApiKey, ...] = field(repr=False)
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
    database_url: str | None = field(default=None, repr=False)
    """The payment ledger; None: SQLite in `data_dir` (see `ledger_url`)."""
    data_dir: str = "data"
    http_api: bool = True
    """Serve the JSON routes on the HTTP listener (off: the webhook route alone)."""
    webhook_intake: bool = False
    """Take Stripe's webhooks at POST /stripe/webhooks on the HTTP listener."""
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    reconcile_interval_seconds: float = 60.0
    event_retention_days: float = 30.0
    """How long the ledger keeps its payment events (ListPaymentEvents' feed)."""
    max_streams: int = 5000
    """Open streams (WatchPaymentStatus, WatchPaymentEvents; both doors) this replica serves."""
    max_streams_per_caller: int = 1000
    """Open streams one caller may have on this replica."""
    grpc_keepalive_seconds: float = 60.0
    """The gRPC door pings a connection idle this long (a dead peer is dropped, streams end)."""
    grpc_max_connection_age_seconds: float = 1800.0
    """A gRPC connection is closed after this long (GOAWAY, then `grace_seconds` for its calls),
    so that long-lived clients spread again over the replicas."""

    @property
    def ledger_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.rstrip('/')}/{SQLITE_FILE}"


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Reads and checks every variable; raises ConfigError on the first problem found. A variable
    unset or blank leaves its setting at the default."""
    _no_sdk_console_log(environ.get("STRIPE_LOG", ""))
    values: dict[str, Any] = {}
    for setting, (name, parse, expected) in VARIABLES.items():
        raw = environ.get(name, "").strip()
        if raw or setting in _REQUIRED:
            values[setting] = parse(raw)
            if values[setting] is None:
                raise ConfigError(f"{name} must be {expected}")
    return _coherent(Settings(**values))


def _coherent(settings: Settings) -> Settings:
    """Checks the settings that only make sense together."""
    intake, secrets, http = (variable_of(name) for name in _INTAKE_SETTINGS)
    if settings.webhook_intake and not settings.webhook_secrets:
        raise ConfigError(
            f"{intake} is on but {secrets} is not set: give the signing secret (whsec_…) of each "
            "webhook endpoint that sends here"
        )
    if settings.webhook_intake and settings.http_addr is None:
        raise ConfigError(f"{intake} is on but {http} is not set: the webhook route needs it")
    if settings.http_addr is not None and not (settings.http_api or settings.webhook_intake):
        raise ConfigError(
            f"{variable_of('http_api')} is off and {intake} is not on: the HTTP listener would "
            f"serve nothing; unset {http} or turn one of them on"
        )
    if settings.max_streams_per_caller > settings.max_streams:
        raise ConfigError(
            f"{variable_of('max_streams_per_caller')} is more than {variable_of('max_streams')}: "
            "one caller cannot have more streams than the replica serves"
        )
    return settings


def variable_of(setting: str) -> str:
    """The environment variable of a Settings field (for messages that say what to change)."""
    return VARIABLES[setting][0]


def _url(raw: str) -> str | None:
    parts = urlsplit(raw)
    well_formed = parts.scheme in ("http", "https") and parts.netloc
    return raw if well_formed and not any(c.isspace() for c in raw) else None


def _address(raw: str) -> str | None:
    host, sep, port = raw.rpartition(":")
    return raw if sep and host and port.isdigit() and int(port) <= 65535 else None


def _seconds(raw: str, positive: bool = False) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 and (value > 0 or not positive) else None


def _positive(raw: str) -> float | None:
    """A positive number (of seconds, or of the unit the setting names)."""
    return _seconds(raw, positive=True)


def _count(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 1_000_000 else None


def _retries(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) <= 10 else None


def _log_level(raw: str) -> int | None:
    return _LOG_LEVELS.get(raw.upper())


def _switch(raw: str) -> bool | None:
    return _SWITCHES.get(raw.lower())


def _database_url(raw: str) -> str | None:
    scheme, sep, rest = raw.partition("://")
    return raw if sep and rest and scheme in ("sqlite", "postgresql", "postgres") else None


def _path(raw: str) -> str | None:
    return raw if "\x00" not in raw else None


def _webhook_secrets(raw: str) -> tuple[str, ...] | None:
    secrets = tuple(secret.strip() for secret in raw.split(",") if secret.strip())
    well_formed = all(s.startswith("whsec_") and len(s) > len("whsec_") for s in secrets)
    return secrets if secrets and well_formed else None


_URL, _ADDRESS = (
    "an http(s) URL, e.g. https://example.com/path",
    "host:port (port 0-65535; 0 picks a free port)",
)
_LEVEL = f"one of {', '.join(_LOG_LEVELS)} (any case)"
_SWITCHES = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}
_SWITCH = "true or false (also on/off, 1/0)"
_INTAKE_SETTINGS = ("webhook_intake", "webhook_secrets", "http_addr")
_REQUIRED = ("api_keys", "stripe_secret_key")  # their parsers say what is missing or wrong
# Each setting's environment variable, its parser (None: not a valid value), what it must be.
VARIABLES: Mapping[str, tuple[str, Callable[[str], Any], str]] = {
    "api_keys": ("PAYMENTS_API_KEYS", lambda raw: _api_keys(raw), "set"),
    "stripe_secret_key": ("STRIPE_SECRET_KEY", lambda raw: _stripe_key(raw), "set"),
    "listen_addr": ("PAYMENTS_LISTEN_ADDR", _address, _ADDRESS),
    "stripe_api_base": ("STRIPE_API_BASE", _url, _URL),
    "success_url": ("PAYMENTS_SUCCESS_URL", _url, _URL),
    "cancel_url": ("PAYMENTS_CANCEL_URL", _url, _URL),
    "http_addr": ("PAYMENTS_HTTP_ADDR", _address, _ADDRESS),
    "grace_seconds": ("PAYMENTS_GRACE_SECONDS", _seconds, "a non-negative number of seconds"),
    "stripe_timeout_seconds": (
        "STRIPE_TIMEOUT_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "stripe_max_network_retries": (
        "STRIPE_MAX_NETWORK_RETRIES",
        _retries,
        "a whole number from 0 to 10",
    ),
    "default_deadline_seconds": (
        "PAYMENTS_DEFAULT_DEADLINE_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "log_level": ("PAYMENTS_LOG_LEVEL", _log_level, _LEVEL),
    "httpx_log_level": ("PAYMENTS_HTTPX_LOG_LEVEL", _log_level, _LEVEL),
    "database_url": (
        "PAYMENTS_DATABASE_URL",
        _database_url,
        "sqlite:///<path> or postgresql://user:password@host:port/database",
    ),
    "data_dir": ("PAYMENTS_DATA_DIR", _path, "a directory path"),
    "http_api": ("PAYMENTS_HTTP_API", _switch, _SWITCH),
    "webhook_intake": ("PAYMENTS_WEBHOOK_INTAKE", _switch, _SWITCH),
    "webhook_secrets": (
        "STRIPE_WEBHOOK_SECRETS",
        _webhook_secrets,
        "the endpoints' signing secrets (whsec_…), comma-separated",
    ),
    "reconcile_interval_seconds": (
        "PAYMENTS_RECONCILE_INTERVAL_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "event_retention_days": (
        "PAYMENTS_EVENT_RETENTION_DAYS",
        _positive,
        "a positive number of days",
    ),
    "max_streams": ("PAYMENTS_MAX_STREAMS", _count, "a whole number from 1 to 1000000"),
    "max_streams_per_caller": (
        "PAYMENTS_MAX_STREAMS_PER_CALLER",
        _count,
        "a whole number from 1 to 1000000",
    ),
    "grpc_keepalive_seconds": (
        "PAYMENTS_GRPC_KEEPALIVE_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "grpc_max_connection_age_seconds": (
        "PAYMENTS_GRPC_MAX_CONNECTION_AGE_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
}


def _no_sdk_console_log(value: str) -> None:
    # With STRIPE_LOG=info or debug the Stripe SDK prints every request straight to stderr,
    # past the logging setup: its lines can quote the end of the Stripe key and customers' data.
    if value.strip().lower() in ("info", "debug"):
        raise ConfigError(
            "STRIPE_LOG makes the Stripe SDK print requests, and the end of its key, to stderr: "
            "unset it (PAYMENTS_LOG_LEVEL sets the service's own log)"
        )


def _api_keys(raw: str) -> tuple[ApiKey, ...]:
    """`key` or `name=key` entries, comma-separated. Keys under one name are one caller (for
    rotation); a bare key's fingerprint is its caller's identity. Messages name entries by
    position, never by content: an entry is (part of) a key, which must not reach a log."""
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
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


def _stripe_key(key: str) -> str:
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
