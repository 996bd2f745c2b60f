"""Settings from the environment: defaults, and one clear ConfigError per misconfiguration."""

from __future__ import annotations

import logging

import pytest

from service.auth import ApiKey, fingerprint
from service.config import ConfigError, load_settings

KEY = "k" * 20
VALID = {"PAYMENTS_API_KEYS": f"{KEY}, {'j' * 20}", "STRIPE_SECRET_KEY": "sk_test_abc123"}


def test_defaults() -> None:
    settings = load_settings(VALID)
    assert settings.api_keys == (ApiKey(KEY), ApiKey("j" * 20))
    assert settings.default_deadline_seconds == 30
    assert settings.log_level == logging.INFO
    assert settings.listen_addr == "127.0.0.1:50051"
    assert settings.success_url.startswith("https://example.com/checkout/success?")
    assert settings.cancel_url == "https://example.com/checkout/cancel"
    assert (settings.stripe_timeout_seconds, settings.stripe_max_network_retries) == (20, 2)
    assert settings.stripe_max_connections is None
    assert settings.stripe_pool_size == 100  # 100 requests/s x 0.5 s x STRIPE_POOL_HEADROOM 2
    assert settings.grace_seconds == 10
    assert settings.stripe_api_base is None
    assert settings.stripe_proxy_url is None  # straight to Stripe
    assert settings.http_addr is None
    assert settings.ledger_url == "sqlite:///data/payments.sqlite3"
    assert (settings.webhook_intake, settings.http_api) == (False, True)
    assert settings.reconcile_interval_seconds == 60
    assert settings.event_retention_days == 30
    assert (settings.grpc_keepalive_seconds, settings.grpc_max_connection_age_seconds) == (60, 1800)
    assert settings.grpc_max_connection_idle_seconds == 300
    assert settings.grpc_handshake_timeout_seconds == 10
    assert settings.product_cache_seconds == 60
    assert settings.event_loop == "uvloop"


@pytest.mark.parametrize(("raw", "seconds"), [("0", 0.0), ("2.5", 2.5), ("300", 300.0)])
def test_the_product_cache_may_be_turned_off(raw: str, seconds: float) -> None:
    settings = load_settings({**VALID, "PAYMENTS_PRODUCT_CACHE_SECONDS": raw})
    assert settings.product_cache_seconds == seconds


def test_everything_set() -> None:
    settings = load_settings(
        {
            **VALID,
            "STRIPE_SECRET_KEY": "rk_test_xyz",
            "PAYMENTS_LISTEN_ADDR": "0.0.0.0:0",
            "PAYMENTS_ALLOW_PLAINTEXT": "true",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
            "PAYMENTS_SUCCESS_URL": "https://shop.example/ok",
            "PAYMENTS_CANCEL_URL": "http://shop.example/cancel",
            "PAYMENTS_HTTP_ADDR": "127.0.0.1:8080",
            "PAYMENTS_GRACE_SECONDS": "2.5",
            "STRIPE_TIMEOUT_SECONDS": "3",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "PAYMENTS_GRPC_KEEPALIVE_SECONDS": "30",
            "PAYMENTS_GRPC_MAX_CONNECTION_AGE_SECONDS": "600",
            "PAYMENTS_GRPC_MAX_CONNECTION_IDLE_SECONDS": "120",
            "PAYMENTS_GRPC_HANDSHAKE_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert settings.listen_addr == "0.0.0.0:0"
    assert (settings.grpc_keepalive_seconds, settings.grpc_max_connection_age_seconds) == (30, 600)
    assert settings.grpc_max_connection_idle_seconds == 120
    assert settings.grpc_handshake_timeout_seconds == 2.5
    assert settings.stripe_api_base == "http://127.0.0.1:12111"
    assert settings.http_addr == "127.0.0.1:8080"
    assert (settings.grace_seconds, settings.stripe_timeout_seconds) == (2.5, 3.0)
    assert settings.stripe_max_network_retries == 0


WEBHOOKS = {
    "PAYMENTS_HTTP_ADDR": "127.0.0.1:8080",
    "PAYMENTS_WEBHOOK_INTAKE": "on",
    "STRIPE_WEBHOOK_SECRETS": "whsec_new, whsec_old",
}


def test_the_ledger_and_the_webhook_intake() -> None:
    settings = load_settings(
        {
            **VALID,
            **WEBHOOKS,
            "PAYMENTS_HTTP_API": "false",
            "PAYMENTS_DATABASE_URL": "postgresql://payments:pw@db:5432/payments",
            "PAYMENTS_RECONCILE_INTERVAL_SECONDS": "0.5",
        }
    )
    assert settings.ledger_url == "postgresql://payments:pw@db:5432/payments"
    assert settings.webhook_secrets == ("whsec_new", "whsec_old")
    assert (settings.webhook_intake, settings.http_api) == (True, False)
    assert settings.reconcile_interval_seconds == 0.5


def test_the_data_directory_holds_the_default_ledger() -> None:
    settings = load_settings({**VALID, "PAYMENTS_DATA_DIR": "/var/lib/payments/"})
    assert settings.ledger_url == "sqlite:////var/lib/payments/payments.sqlite3"


def test_repr_hides_secrets() -> None:
    text = repr(
        load_settings(
            {
                **VALID,
                **WEBHOOKS,
                "PAYMENTS_DATABASE_URL": "sqlite:///s3cret",
                "STRIPE_PROXY_URL": "http://payments:pr0xy-pass@egress.internal:3128",
            }
        )
    )
    assert "pr0xy-pass" not in text
    assert KEY not in text
    assert "sk_test_abc123" not in text
    assert "whsec_new" not in text
    assert "s3cret" not in text


@pytest.mark.parametrize(
    "url",
    [
        "http://egress.internal:3128",
        "https://egress.internal",  # port 443
        "http://payments:p%40ss%3Aw0rd@egress.internal:3128/",  # credentials, percent-encoded
        "http://token@10.0.0.7:8080",
        "http://[fd00::7]:3128",
    ],
)
def test_a_forward_proxy_for_stripe(url: str) -> None:
    assert load_settings({**VALID, "STRIPE_PROXY_URL": url}).stripe_proxy_url == url


PROXY_URL_MUST_BE = "STRIPE_PROXY_URL must be a forward proxy's http(s)://"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"PAYMENTS_API_KEYS": ""}, "PAYMENTS_API_KEYS is not set"),
        ({"PAYMENTS_API_KEYS": " , "}, "PAYMENTS_API_KEYS holds no key"),
        ({"PAYMENTS_API_KEYS": "short"}, "key #1 is shorter than 16"),
        ({"PAYMENTS_API_KEYS": f"{KEY},bad key with spaces"}, "key #2 must be printable ASCII"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY is not set"),
        ({"STRIPE_SECRET_KEY": "sk_live_secretvalue"}, "live-mode key"),
        ({"STRIPE_SECRET_KEY": "rk_live_secretvalue"}, "live-mode key"),
        ({"STRIPE_SECRET_KEY": "sk_test_abc def"}, "STRIPE_SECRET_KEY holds a character"),
        ({"STRIPE_SECRET_KEY": "sk_test_abc\ndef"}, "STRIPE_SECRET_KEY holds a character"),
        ({"STRIPE_SECRET_KEY": "pk_test_secretvalue"}, "not a Stripe test-mode key"),
        ({"STRIPE_SECRET_KEY": "sk_test_"}, "not a Stripe test-mode key"),
        ({"STRIPE_API_BASE": "ftp://x"}, "STRIPE_API_BASE must be an http(s) URL"),
        ({"STRIPE_API_BASE": "localhost:12111"}, "STRIPE_API_BASE must be an http(s) URL"),
        ({"STRIPE_API_BASE": "http://[::1:12111"}, "STRIPE_API_BASE must be an http(s) URL"),
        ({"STRIPE_PROXY_URL": "socks5://u:secretvalue@egress:1080"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "u:secretvalue@egress.internal:3128"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "egress.internal:3128"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@:3128"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@egress:99999"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@egress:0"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@egress:port"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@[fd00::7:3128"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@egress:3128/v1"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue@egress:3128?a=b"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue @egress:3128"}, PROXY_URL_MUST_BE),
        ({"STRIPE_PROXY_URL": "http://u:secretvalue\t@egress:3128"}, PROXY_URL_MUST_BE),
        ({"PAYMENTS_SUCCESS_URL": "/relative"}, "PAYMENTS_SUCCESS_URL must be an http(s) URL"),
        ({"PAYMENTS_CANCEL_URL": "javascript:x"}, "PAYMENTS_CANCEL_URL must be an http(s) URL"),
        ({"PAYMENTS_LISTEN_ADDR": "50051"}, "PAYMENTS_LISTEN_ADDR must be host:port"),
        ({"PAYMENTS_LISTEN_ADDR": "h:70000"}, "PAYMENTS_LISTEN_ADDR must be host:port"),
        ({"PAYMENTS_HTTP_ADDR": "h:x"}, "PAYMENTS_HTTP_ADDR must be host:port"),
        ({"PAYMENTS_GRACE_SECONDS": "-1"}, "PAYMENTS_GRACE_SECONDS must be a non-negative"),
        ({"PAYMENTS_GRACE_SECONDS": "soon"}, "PAYMENTS_GRACE_SECONDS must be a non-negative"),
        ({"STRIPE_TIMEOUT_SECONDS": "0"}, "STRIPE_TIMEOUT_SECONDS must be a positive"),
        ({"STRIPE_TIMEOUT_SECONDS": "inf"}, "STRIPE_TIMEOUT_SECONDS must be a positive"),
        ({"STRIPE_MAX_NETWORK_RETRIES": "-1"}, "STRIPE_MAX_NETWORK_RETRIES must be a whole"),
        ({"STRIPE_MAX_NETWORK_RETRIES": "11"}, "STRIPE_MAX_NETWORK_RETRIES must be a whole"),
        ({"PAYMENTS_API_KEYS": f"Orders={KEY}"}, "entry #1 has an invalid caller name"),
        ({"PAYMENTS_API_KEYS": f"1st={KEY}"}, "entry #1 has an invalid caller name"),
        ({"PAYMENTS_API_KEYS": f"{'a' * 41}={KEY}"}, "entry #1 has an invalid caller name"),
        ({"PAYMENTS_API_KEYS": f"={KEY}"}, "entry #1 has an invalid caller name"),
        ({"PAYMENTS_API_KEYS": f"{KEY}=="}, "key #1 (the part after the first '='"),
        ({"PAYMENTS_API_KEYS": "orders=short"}, "key #1 (the part after the first '='"),
        ({"PAYMENTS_API_KEYS": f"a={KEY},b={KEY}"}, "key #2 repeats key #1"),
        ({"PAYMENTS_API_KEYS": f"{KEY},orders={KEY}"}, "key #2 repeats key #1"),
        ({"PAYMENTS_DEFAULT_DEADLINE_SECONDS": "0"}, "PAYMENTS_DEFAULT_DEADLINE_SECONDS must be"),
        ({"PAYMENTS_DEFAULT_DEADLINE_SECONDS": "x"}, "PAYMENTS_DEFAULT_DEADLINE_SECONDS must be"),
        ({"PAYMENTS_LOG_LEVEL": "verbose"}, "PAYMENTS_LOG_LEVEL must be one of DEBUG"),
        ({"PAYMENTS_LOG_LEVEL": "10"}, "PAYMENTS_LOG_LEVEL must be one of DEBUG"),
        ({"STRIPE_MAX_CONNECTIONS": "0"}, "STRIPE_MAX_CONNECTIONS must be a whole number"),
        ({"STRIPE_MAX_CONNECTIONS": "2.5"}, "STRIPE_MAX_CONNECTIONS must be a whole number"),
        ({"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "0"}, "REQUESTS_PER_SECOND must be a positive"),
        ({"STRIPE_EXPECTED_LATENCY_SECONDS": "-0.1"}, "LATENCY_SECONDS must be a positive"),
        ({"STRIPE_EXPECTED_LATENCY_SECONDS": "nan"}, "LATENCY_SECONDS must be a positive"),
        ({"STRIPE_LOG": "info"}, "STRIPE_LOG makes the Stripe SDK print"),
        ({"STRIPE_LOG": "DEBUG"}, "STRIPE_LOG makes the Stripe SDK print"),
        ({"PAYMENTS_DATABASE_URL": "mysql://x/y"}, "PAYMENTS_DATABASE_URL must be sqlite:///"),
        ({"PAYMENTS_DATABASE_URL": "payments.db"}, "PAYMENTS_DATABASE_URL must be sqlite:///"),
        ({"PAYMENTS_WEBHOOK_INTAKE": "maybe"}, "PAYMENTS_WEBHOOK_INTAKE must be true or false"),
        ({"PAYMENTS_HTTP_API": "2"}, "PAYMENTS_HTTP_API must be true or false"),
        ({"PAYMENTS_RECONCILE_INTERVAL_SECONDS": "0"}, "RECONCILE_INTERVAL_SECONDS must be a"),
        ({"PAYMENTS_EVENT_RETENTION_DAYS": "0"}, "EVENT_RETENTION_DAYS must be a positive"),
        ({"PAYMENTS_GRPC_KEEPALIVE_SECONDS": "0"}, "GRPC_KEEPALIVE_SECONDS must be a positive"),
        ({"PAYMENTS_GRPC_MAX_CONNECTION_AGE_SECONDS": "-1"}, "MAX_CONNECTION_AGE_SECONDS must be"),
        ({"PAYMENTS_GRPC_MAX_CONNECTION_IDLE_SECONDS": "0"}, "MAX_CONNECTION_IDLE_SECONDS must"),
        ({"PAYMENTS_GRPC_HANDSHAKE_TIMEOUT_SECONDS": "x"}, "HANDSHAKE_TIMEOUT_SECONDS must be a"),
        ({"PAYMENTS_EVENT_LOOP": "trio"}, "PAYMENTS_EVENT_LOOP must be uvloop or asyncio"),
        ({"PAYMENTS_PRODUCT_CACHE_SECONDS": "-1"}, "PRODUCT_CACHE_SECONDS must be a number"),
        ({"PAYMENTS_PRODUCT_CACHE_SECONDS": "a minute"}, "PRODUCT_CACHE_SECONDS must be a number"),
        ({**WEBHOOKS, "STRIPE_WEBHOOK_SECRETS": "secretvalue"}, "STRIPE_WEBHOOK_SECRETS must be"),
        ({**WEBHOOKS, "STRIPE_WEBHOOK_SECRETS": "whsec_"}, "STRIPE_WEBHOOK_SECRETS must be"),
        ({**WEBHOOKS, "STRIPE_WEBHOOK_SECRETS": ""}, "STRIPE_WEBHOOK_SECRETS is not set"),
        ({**WEBHOOKS, "PAYMENTS_HTTP_ADDR": ""}, "PAYMENTS_HTTP_ADDR is not set"),
        (
            {"PAYMENTS_HTTP_ADDR": "127.0.0.1:0", "PAYMENTS_HTTP_API": "off"},
            "the HTTP listener would serve nothing",
        ),
    ],
)
def test_misconfiguration(override: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({**VALID, **override})
    text = str(raised.value)
    assert message in text
    assert "\n" not in text
    assert "secretvalue" not in text
    assert KEY not in text


def test_named_callers() -> None:
    other = "o" * 20
    settings = load_settings(
        {**VALID, "PAYMENTS_API_KEYS": f"orders={KEY}, orders = {'j' * 20},billing_2={other}"}
    )
    assert settings.api_keys == (
        ApiKey(KEY, "orders"),
        ApiKey("j" * 20, "orders"),
        ApiKey(other, "billing_2"),
    )


def test_a_caller_name_cannot_pose_as_a_bare_keys_fingerprint() -> None:
    posing = f"{fingerprint(KEY)}={'j' * 20}"  # KEY's fingerprint starts with a letter
    with pytest.raises(ConfigError, match="equals the fingerprint"):
        load_settings({**VALID, "PAYMENTS_API_KEYS": f"{KEY},{posing}"})


def test_the_default_deadline_and_log_levels() -> None:
    settings = load_settings(
        {
            **VALID,
            "PAYMENTS_DEFAULT_DEADLINE_SECONDS": "7.5",
            "PAYMENTS_LOG_LEVEL": "debug",
        }
    )
    assert settings.default_deadline_seconds == 7.5
    assert settings.log_level == logging.DEBUG


@pytest.mark.parametrize(
    ("environment", "pool"),
    [
        ({"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "25"}, 25),  # test mode's limit: 25 x 0.5 x 2
        ({"STRIPE_EXPECTED_LATENCY_SECONDS": "0.25"}, 50),
        (
            {
                "STRIPE_EXPECTED_REQUESTS_PER_SECOND": "1024",
                "STRIPE_EXPECTED_LATENCY_SECONDS": "0.25",
            },
            512,
        ),
        ({"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "0.1", "STRIPE_EXPECTED_LATENCY_SECONDS": "3"}, 1),
        ({"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "7", "STRIPE_EXPECTED_LATENCY_SECONDS": "0.3"}, 5),
        ({"STRIPE_EXPECTED_REQUESTS_PER_SECOND": "0.001"}, 1),  # never less than one
        ({"STRIPE_MAX_CONNECTIONS": "8", "STRIPE_EXPECTED_LATENCY_SECONDS": "9"}, 8),  # it wins
    ],
)
def test_the_stripe_pool_is_sized_by_littles_law(environment: dict[str, str], pool: int) -> None:
    assert load_settings({**VALID, **environment}).stripe_pool_size == pool


def test_every_setting_has_one_variable() -> None:
    from dataclasses import fields

    from service.config import VARIABLES, Settings, variable_of

    assert set(VARIABLES) == {field.name for field in fields(Settings)}
    names = [variable_of(setting) for setting in VARIABLES]
    assert len(names) == len(set(names))
    assert variable_of("http_addr") == "PAYMENTS_HTTP_ADDR"
