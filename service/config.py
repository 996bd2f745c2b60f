"""Settings from the environment, checked once at start-up: each variable named once (in
`load_settings`), each setting with one default (on `Settings`). A misconfiguration is a
`ConfigError`, one line that names the variable and what to do; never a secret value.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from service import tls
from service.api_keys import ApiKeyError, parse_api_keys, read_api_keys_file
from service.auth import ApiKey
from service.tls import TlsFiles

SQLITE_FILE = "payments.sqlite3"
STRIPE_POOL_HEADROOM = 2
"""Connections per request expected in flight: twice the mean rides out bursts of arrivals and
latency up to twice the expected before a request waits for a connection."""

_LOG_LEVELS = {
    name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
}
_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
_STRIPE_KEY_CHARACTERS = re.compile(r"^[A-Za-z0-9_]+$")
_LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


class ConfigError(Exception):
    """The environment does not describe a runnable service; the message is one line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads from its environment. Secrets are kept out of repr()."""

    api_keys: tuple[ApiKey, ...] = field(repr=False)
    """From PAYMENTS_API_KEYS, or read from `api_keys_file` (see service/api_keys.py)."""
    stripe_secret_key: str = field(repr=False)
    listen_addr: str = "127.0.0.1:50051"
    stripe_api_base: str | None = None
    stripe_proxy_url: str | None = field(default=None, repr=False)
    """The forward proxy every Stripe request goes through (to Stripe itself, a CONNECT tunnel);
    None: straight to Stripe. Out of repr(): it may hold the proxy's password."""
    success_url: str = "https://example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    cancel_url: str = "https://example.com/checkout/cancel"
    http_addr: str | None = None
    grace_seconds: float = 10.0
    stripe_timeout_seconds: float = 20.0
    stripe_max_network_retries: int = 2
    stripe_max_connections: int | None = None
    """Connections to Stripe at most; None: `stripe_pool_size` sizes the pool by Little's law."""
    stripe_expected_requests_per_second: float = 100.0
    """Stripe requests this replica is to make per second at most: Stripe's live-mode rate limit
    (per account; test mode allows 25), which no replica can usefully exceed."""
    stripe_expected_latency_seconds: float = 0.5
    """How long a Stripe request takes at the tail (real Stripe: ~0.2-0.5 s)."""
    default_deadline_seconds: float = 30.0
    """The deadline of a call (either door) whose caller set none."""
    log_level: int = logging.INFO
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
    metrics_addr: str | None = None
    """Where /metrics is served (Prometheus); None: not served."""
    log_format: str = "text"
    """text: one human-readable line per record; json: one JSON object per line."""
    event_loop: str = "uvloop"
    """uvloop: libuv's event loop (less CPU per call); asyncio: the standard library's."""
    api_keys_file: str | None = None
    """Where the keys are read from (at start-up and on SIGHUP), instead of PAYMENTS_API_KEYS."""
    tls_cert_file: str | None = None
    """With `tls_key_file`: both doors speak TLS only (service/tls.py)."""
    tls_key_file: str | None = field(default=None, repr=False)
    tls_client_ca_file: str | None = None
    """Client certificates are required, signed by this CA (mTLS); their CN is the caller."""
    allow_plaintext: bool = False
    """Plaintext on an address other than loopback (behind a mesh sidecar that encrypts)."""
    http_idle_timeout_seconds: float = 15.0
    """An HTTP connection without a request (or whose request head trickles in) this long is
    closed."""
    http_max_connections: int = 1000
    cors_allowed_origins: frozenset[str] = frozenset()
    """Browser origins (scheme://host[:port]) whose pages may call the HTTP/JSON door (CORS)."""
    """Open HTTP connections at most; a new one beyond is closed at once."""
    max_calls_per_caller: int = 1000
    """Unary calls one caller may have in flight on this replica (streams aside)."""
    max_streams: int = 5000
    """Open streams (WatchPaymentStatus, WatchPaymentEvents; both doors) this replica serves."""
    max_streams_per_caller: int = 1000
    """Open streams one caller may have on this replica."""
    grpc_keepalive_seconds: float = 60.0
    """The gRPC door pings a connection idle this long (a dead peer is dropped, streams end)."""
    grpc_max_connection_age_seconds: float = 1800.0
    """A gRPC connection is closed after this long (GOAWAY, then `grace_seconds` for its calls),
    so that long-lived clients spread again over the replicas."""
    grpc_max_connection_idle_seconds: float = 300.0
    """A gRPC connection without calls this long is closed (GOAWAY), so idle connections do not
    pile up on a replica."""
    grpc_handshake_timeout_seconds: float = 10.0
    """A gRPC connection that has not completed its handshake (TLS, and the HTTP/2 preface and
    SETTINGS) this long after it opened is closed."""
    product_cache_seconds: float = 60.0
    """How long this replica sells a product as it last read or created it without asking
    Stripe (the catalog's staleness bound); 0: every CreateCheckout reads the product first."""

    @property
    def tls(self) -> TlsFiles | None:
        if self.tls_cert_file is None or self.tls_key_file is None:
            return None
        return TlsFiles(self.tls_cert_file, self.tls_key_file, self.tls_client_ca_file)

    @property
    def stripe_pool_size(self) -> int:
        """`stripe_max_connections` if set; else Little's law, requests in flight = throughput x
        latency, with STRIPE_POOL_HEADROOM for bursts and a slower Stripe. Connections are only
        opened when that many requests are in flight at once, so a large pool costs nothing idle;
        requests beyond it wait their turn, first come first served, within their deadline."""
        if self.stripe_max_connections is not None:
            return self.stripe_max_connections
        in_flight = self.stripe_expected_requests_per_second * self.stripe_expected_latency_seconds
        return max(1, math.ceil(round(in_flight * STRIPE_POOL_HEADROOM, 6)))

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
    values["api_keys"] = _keys_of(values)
    return _coherent(Settings(**values))


def _keys_of(values: Mapping[str, Any]) -> tuple[ApiKey, ...]:
    """The keys of PAYMENTS_API_KEYS or of the file PAYMENTS_API_KEYS_FILE: exactly one."""
    inline, from_file = variable_of("api_keys"), variable_of("api_keys_file")
    if "api_keys_file" in values:
        if "api_keys" in values:
            raise ConfigError(f"both {inline} and {from_file} are set: give the keys in one")
        return read_keys(values["api_keys_file"])
    if "api_keys" not in values:
        raise ConfigError(
            f"{inline} is not set: give the API keys callers may use, comma-separated (or a "
            f"file of them in {from_file})"
        )
    keys: tuple[ApiKey, ...] = values["api_keys"]
    return keys


def read_keys(path: str) -> tuple[ApiKey, ...]:
    """The keys in the file at `path` (PAYMENTS_API_KEYS_FILE); ConfigError when unusable."""
    try:
        return read_api_keys_file(path, variable_of("api_keys_file"))
    except ApiKeyError as error:
        raise ConfigError(str(error)) from None


def _api_keys(raw: str) -> tuple[ApiKey, ...]:
    try:
        return parse_api_keys(raw, variable_of("api_keys"))
    except ApiKeyError as error:
        raise ConfigError(str(error)) from None


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
    _check_transport(settings)
    if settings.max_streams_per_caller > settings.max_streams:
        raise ConfigError(
            f"{variable_of('max_streams_per_caller')} is more than {variable_of('max_streams')}: "
            "one caller cannot have more streams than the replica serves"
        )
    return settings


def _check_transport(settings: Settings) -> None:
    """TLS files that work together, or plaintext on loopback only unless allowed."""
    cert, key, ca = (variable_of(name) for name in ("tls_cert_file", "tls_key_file",
                                                     "tls_client_ca_file"))  # fmt: skip
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        raise ConfigError(f"{cert} and {key} go together: set both, or neither")
    if settings.tls_client_ca_file is not None and settings.tls is None:
        raise ConfigError(f"{ca} asks for client certificates, which need TLS: set {cert}, {key}")
    if settings.tls is not None:
        try:
            tls.check(settings.tls)
        except tls.TlsError as error:
            raise ConfigError(f"{cert}/{key}/{ca}: {error}") from None
        return
    for setting in ("listen_addr", "http_addr"):
        address = getattr(settings, setting)
        if address is not None and not _loopback(address) and not settings.allow_plaintext:
            raise ConfigError(
                f"{variable_of(setting)} ({address}) is not a loopback address and TLS is off: "
                f"set {cert} and {key}, or {variable_of('allow_plaintext')}=true behind a "
                "proxy or mesh sidecar that encrypts"
            )


def split_address(address: str) -> tuple[str, int]:
    """(host, port) of a `host:port` setting (`_address` checked it): an IPv6 host without its
    brackets, a host left out as ""."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _loopback(address: str) -> bool:
    host, _ = split_address(address)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def variable_of(setting: str) -> str:
    """The environment variable of a Settings field (for messages that say what to change)."""
    return VARIABLES[setting][0]


def _url(raw: str) -> str | None:
    try:
        parts = urlsplit(raw)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return None
    well_formed = parts.scheme in ("http", "https") and parts.netloc
    return raw if well_formed and not any(c.isspace() for c in raw) else None


def _proxy_url(raw: str) -> str | None:
    """http(s)://[user:password@]host[:port] and nothing after it. Never quoted in a message:
    the password in it is a secret."""
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError when not a number from 0 to 65535
    except ValueError:
        return None
    where = parts.scheme in ("http", "https") and parts.hostname and port != 0
    nothing_after = parts.path in ("", "/") and not parts.query and not parts.fragment
    printable = raw.isprintable() and " " not in raw
    return raw if where and nothing_after and printable else None


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


def _origins(raw: str) -> frozenset[str] | None:
    origins = [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            return None
    return frozenset(origins)


def _log_format(raw: str) -> str | None:
    return raw.lower() if raw.lower() in ("text", "json") else None


def _event_loop(raw: str) -> str | None:
    return raw.lower() if raw.lower() in ("uvloop", "asyncio") else None


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
_REQUIRED = ("stripe_secret_key",)  # its parser says what is missing or wrong
# Each setting's environment variable, its parser (None: not a valid value), what it must be.
VARIABLES: Mapping[str, tuple[str, Callable[[str], Any], str]] = {
    "api_keys": ("PAYMENTS_API_KEYS", lambda raw: _api_keys(raw), "set"),
    "api_keys_file": ("PAYMENTS_API_KEYS_FILE", _path, "a file path"),
    "stripe_secret_key": ("STRIPE_SECRET_KEY", lambda raw: _stripe_key(raw), "set"),
    "listen_addr": ("PAYMENTS_LISTEN_ADDR", _address, _ADDRESS),
    "stripe_api_base": ("STRIPE_API_BASE", _url, _URL),
    "stripe_proxy_url": (
        "STRIPE_PROXY_URL",
        _proxy_url,
        "a forward proxy's http(s)://[user:password@]host:port, nothing after the port",
    ),
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
    "stripe_max_connections": (
        "STRIPE_MAX_CONNECTIONS",
        _count,
        "a whole number from 1 to 1000000",
    ),
    "stripe_expected_requests_per_second": (
        "STRIPE_EXPECTED_REQUESTS_PER_SECOND",
        _positive,
        "a positive number of requests per second",
    ),
    "stripe_expected_latency_seconds": (
        "STRIPE_EXPECTED_LATENCY_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "log_level": ("PAYMENTS_LOG_LEVEL", _log_level, _LEVEL),
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
    "metrics_addr": ("PAYMENTS_METRICS_ADDR", _address, _ADDRESS),
    "log_format": ("PAYMENTS_LOG_FORMAT", _log_format, "text or json"),
    "event_loop": ("PAYMENTS_EVENT_LOOP", _event_loop, "uvloop or asyncio"),
    "tls_cert_file": ("PAYMENTS_TLS_CERT_FILE", _path, "a file path"),
    "tls_key_file": ("PAYMENTS_TLS_KEY_FILE", _path, "a file path"),
    "tls_client_ca_file": ("PAYMENTS_TLS_CLIENT_CA_FILE", _path, "a file path"),
    "allow_plaintext": ("PAYMENTS_ALLOW_PLAINTEXT", _switch, _SWITCH),
    "http_idle_timeout_seconds": (
        "PAYMENTS_HTTP_IDLE_TIMEOUT_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "http_max_connections": (
        "PAYMENTS_HTTP_MAX_CONNECTIONS",
        _count,
        "a whole number from 1 to 1000000",
    ),
    "cors_allowed_origins": (
        "PAYMENTS_CORS_ALLOWED_ORIGINS",
        _origins,
        "origins, comma-separated, each scheme://host[:port] without a path (no *)",
    ),
    "max_calls_per_caller": (
        "PAYMENTS_MAX_CALLS_PER_CALLER",
        _count,
        "a whole number from 1 to 1000000",
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
    "grpc_max_connection_idle_seconds": (
        "PAYMENTS_GRPC_MAX_CONNECTION_IDLE_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "grpc_handshake_timeout_seconds": (
        "PAYMENTS_GRPC_HANDSHAKE_TIMEOUT_SECONDS",
        _positive,
        "a positive number of seconds",
    ),
    "product_cache_seconds": (
        "PAYMENTS_PRODUCT_CACHE_SECONDS",
        _seconds,
        "a number of seconds, 0 or more (0: off)",
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
    if not _STRIPE_KEY_CHARACTERS.match(key):
        # Stripe's keys are letters, digits and underscores; anything else (a space, a newline
        # pasted in) would make every call fail later as "Stripe unavailable".
        raise ConfigError(
            "STRIPE_SECRET_KEY holds a character no Stripe key has (only letters, digits and _): "
            "check for a space or line break pasted into it"
        )
    return key
