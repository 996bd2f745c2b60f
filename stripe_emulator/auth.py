"""API-key authentication, answering as Stripe does (401, ``invalid_request_error``)."""

from __future__ import annotations

import re

from aiohttp import BasicAuth, web

from stripe_emulator import errors

# Test-mode secret and restricted keys only; this is a test-mode emulator.
_TEST_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")

NO_KEY_MESSAGE = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def api_key_of(request: web.Request) -> str:
    """The caller's API key (Bearer, or Basic with the key as user name as ``curl -u``)."""
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise _unauthorized(NO_KEY_MESSAGE)
    scheme, _, credentials = header.partition(" ")
    key = credentials.strip()
    if scheme.lower() == "basic":
        try:
            key = BasicAuth.decode(header).login
        except ValueError:
            key = ""
    elif scheme.lower() != "bearer":
        raise _unauthorized(
            "Invalid API Key provided: the Authorization header must use Bearer auth."
        )
    if not key:
        raise _unauthorized(NO_KEY_MESSAGE)
    if key.startswith(("sk_live_", "rk_live_")):
        raise _unauthorized(
            f"Invalid API Key provided: {_redact(key)}. The Stripe emulator only accepts "
            "test mode keys (sk_test_... or rk_test_...)."
        )
    if not _TEST_KEY.match(key):
        raise _unauthorized(f"Invalid API Key provided: {_redact(key)}")
    return key


def _redact(key: str) -> str:
    """Like Stripe: keep the prefix and the last four characters."""
    prefix, _, rest = key.rpartition("_")
    if len(rest) <= 4:
        return "*" * len(key)
    return f"{prefix}_{'*' * (len(rest) - 4)}{rest[-4:]}" if prefix else key[:3] + "****"


def _unauthorized(message: str) -> errors.StripeError:
    return errors.StripeError(401, message, saved=False)
