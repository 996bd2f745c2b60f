"""API keys: several valid at once, fingerprints as identities, nothing leaked."""

from __future__ import annotations

import contextlib
import hmac

import pytest

from service.auth import (
    ApiKey,
    ApiKeyAuthenticator,
    fingerprint,
    key_from_metadata,
)
from service.errors import EdgeError

FIRST, SECOND = "first-key-0123456789abcdef", "second-key-0123456789abcdef"


def test_each_configured_key_authenticates_as_its_fingerprint() -> None:
    authenticator = ApiKeyAuthenticator([ApiKey(FIRST), ApiKey(SECOND)])
    assert authenticator.authenticate(FIRST) == fingerprint(FIRST)
    assert authenticator.authenticate(SECOND) == fingerprint(SECOND)
    assert fingerprint(FIRST) != fingerprint(SECOND)
    assert len(fingerprint(FIRST)) == 16
    assert FIRST not in fingerprint(FIRST)


def test_keys_named_alike_are_one_caller() -> None:
    third = "third-key-0123456789abcdef"
    authenticator = ApiKeyAuthenticator(
        [ApiKey(FIRST, "orders"), ApiKey(SECOND, "orders"), ApiKey(third)]
    )
    assert authenticator.authenticate(FIRST) == "orders"
    assert authenticator.authenticate(SECOND) == "orders"
    assert authenticator.authenticate(third) == fingerprint(third)  # a bare key, as before
    assert FIRST not in repr(ApiKey(FIRST, "orders"))


@pytest.mark.parametrize(
    ("presented", "reason"),
    [(None, "API_KEY_MISSING"), ("", "API_KEY_MISSING"), ("nope", "API_KEY_INVALID")],
)
def test_rejections(presented: str | None, reason: str) -> None:
    with pytest.raises(EdgeError) as raised:
        ApiKeyAuthenticator([ApiKey(FIRST)]).authenticate(presented)
    assert raised.value.problem.reason == reason
    assert "nope" not in str(raised.value)


def test_near_miss_is_rejected() -> None:
    with pytest.raises(EdgeError):
        ApiKeyAuthenticator([ApiKey(FIRST)]).authenticate(FIRST[:-1] + "X")


def test_every_key_is_compared_whichever_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """No early exit: the work done does not reveal which key matched, or whether one did."""
    calls: list[int] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)  # the module auth uses
    authenticator = ApiKeyAuthenticator(
        [ApiKey(FIRST), ApiKey(SECOND), ApiKey("third-key-0123456789abcdef")]
    )
    for presented in (FIRST, SECOND, "wrong"):
        calls.clear()
        with contextlib.suppress(EdgeError):
            authenticator.authenticate(presented)
        assert len(calls) == 3


def test_no_keys_configured_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ApiKeyAuthenticator([])


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("x-api-key", "abc")], "abc"),
        ([("X-API-Key", "abc")], "abc"),
        ([("authorization", "Bearer abc")], "abc"),
        ([("Authorization", "bearer  abc ")], "abc"),
        ([("authorization", "Bearer other"), ("x-api-key", "abc")], "abc"),
        ([("authorization", "Basic abc")], None),
        ([("authorization", "Bearer ")], None),
        ([("x-api-key", b"abc")], "abc"),
        ([("user-agent", "grpc")], None),
        ([], None),
    ],
)
def test_key_from_metadata(pairs: list[tuple[str, str | bytes]], expected: str | None) -> None:
    assert key_from_metadata(pairs) == expected
