"""API keys as configured: plain or as their SHA-256, inline or from a file (comments allowed),
exactly one of the two; a hashed key authenticates as the plain one would, caller and all."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from service.auth import ApiKeyAuthenticator, fingerprint
from service.config import ConfigError, load_settings

KEY = "orders-key-0123456789"
OTHER = "billing-key-9876543210"
STRIPE = {"STRIPE_SECRET_KEY": "sk_test_abc123"}


def sha256(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def authenticator(**environ: str) -> ApiKeyAuthenticator:
    return ApiKeyAuthenticator(load_settings({**STRIPE, **environ}).api_keys)


def test_a_key_given_as_its_hash_authenticates_as_the_key_would() -> None:
    hashed = authenticator(PAYMENTS_API_KEYS=f"orders={sha256(KEY)},{sha256(OTHER)}")
    plain = authenticator(PAYMENTS_API_KEYS=f"orders={KEY},{OTHER}")
    for key in (KEY, OTHER):
        assert hashed.authenticate(key) == plain.authenticate(key)
    assert hashed.authenticate(OTHER) == fingerprint(OTHER)
    with pytest.raises(Exception, match="invalid API key"):
        hashed.authenticate(sha256(KEY))  # the hash is no key


def test_keys_are_read_from_a_file_with_comments_and_one_entry_per_line(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(f"# the orders service, rotating\norders={sha256(KEY)}\n\norders={OTHER}\n")
    settings = load_settings({**STRIPE, "PAYMENTS_API_KEYS_FILE": str(keys)})
    auth = ApiKeyAuthenticator(settings.api_keys)
    assert [auth.authenticate(k) for k in (KEY, OTHER)] == ["orders", "orders"]
    assert settings.api_keys_file == str(keys)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# nothing but a comment\n", "PAYMENTS_API_KEYS_FILE holds no key"),
        (f"a={KEY}\nb={KEY}\n", "key #2 repeats key #1"),
        ("sha256:abc\n", "key #1 starts sha256: but is not 64 hex digits"),
        (f"{sha256(KEY)}\n{sha256(KEY)[:-1]}0\n", None),  # two different hashes: fine
    ],
)
def test_a_bad_key_file_is_refused_naming_the_entry_not_the_key(
    tmp_path: Path, content: str, message: str | None
) -> None:
    keys = tmp_path / "keys"
    keys.write_text(content)
    environ = {**STRIPE, "PAYMENTS_API_KEYS_FILE": str(keys)}
    if message is None:
        assert len(load_settings(environ).api_keys) == 2
        return
    with pytest.raises(ConfigError, match=message) as refused:
        load_settings(environ)
    assert KEY not in str(refused.value)


def test_the_keys_come_from_one_place(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text(KEY)
    both = {**STRIPE, "PAYMENTS_API_KEYS": OTHER, "PAYMENTS_API_KEYS_FILE": str(keys)}
    with pytest.raises(ConfigError, match="both PAYMENTS_API_KEYS and PAYMENTS_API_KEYS_FILE"):
        load_settings(both)
    missing = {**STRIPE, "PAYMENTS_API_KEYS_FILE": str(tmp_path / "absent")}
    with pytest.raises(ConfigError, match=r"PAYMENTS_API_KEYS_FILE: cannot read .*absent"):
        load_settings(missing)
    with pytest.raises(ConfigError, match="or a file of them in PAYMENTS_API_KEYS_FILE"):
        load_settings(STRIPE)


def test_a_reload_replaces_every_key_at_once() -> None:
    auth = authenticator(PAYMENTS_API_KEYS=f"orders={KEY}")
    auth.replace(load_settings({**STRIPE, "PAYMENTS_API_KEYS": f"billing={OTHER}"}).api_keys)
    assert auth.authenticate(OTHER) == "billing"
    with pytest.raises(Exception, match="invalid API key"):
        auth.authenticate(KEY)
