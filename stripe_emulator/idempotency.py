"""Idempotent requests as Stripe documents them.

A POST with an ``Idempotency-Key`` stores its result under (API key, idempotency key).
Replays with the same params get the stored status and body plus ``Idempotent-Replayed:
true``; other params get ``idempotency_error``; a duplicate arriving while the first is
still executing gets 409 ``idempotency_key_in_use``. Results of requests that failed
validation (or hit an injected fault) are not stored, as Stripe only saves results once the
endpoint started executing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stripe_emulator import errors


@dataclass
class StoredResponse:
    status: int
    body: bytes
    request_id: str


@dataclass
class _Entry:
    fingerprint: tuple[str, str, Any]
    response: StoredResponse | None = None  # None while the first request is in flight


class IdempotencyStore:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}

    def begin(
        self, api_key: str, key: str, fingerprint: tuple[str, str, Any]
    ) -> StoredResponse | None:
        """Claim ``key`` for a new request, or return the response to replay.

        Raises the error Stripe answers for a mismatch or an in-flight duplicate. Runs
        without awaiting, so on one event loop the check-and-claim is atomic.
        """
        entry = self._entries.get((api_key, key))
        if entry is None:
            self._entries[(api_key, key)] = _Entry(fingerprint)
            return None
        if entry.fingerprint != fingerprint:
            raise errors.StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
                error_type="idempotency_error",
                saved=False,
            )
        if entry.response is None:
            raise errors.StripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through): " + key + ". Please try again later.",
                code="idempotency_key_in_use",
                saved=False,
            )
        return entry.response

    def finish(self, api_key: str, key: str, response: StoredResponse | None) -> None:
        """Store the result, or release the key when the result must not be saved."""
        if response is None:
            self._entries.pop((api_key, key), None)
        else:
            self._entries[(api_key, key)].response = response

    def clear(self) -> None:
        self._entries.clear()
