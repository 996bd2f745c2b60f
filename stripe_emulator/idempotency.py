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


@dataclass(eq=False)  # compared by identity: a claim is one request's hold on a key
class Claim:
    """The in-flight request's hold on (API key, idempotency key); then its stored result."""

    api_key: str
    key: str
    fingerprint: tuple[str, str, Any]
    response: StoredResponse | None = None  # None while the request is in flight


class IdempotencyStore:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], Claim] = {}

    def begin(
        self, api_key: str, key: str, fingerprint: tuple[str, str, Any]
    ) -> Claim | StoredResponse:
        """Claim ``key`` for a new request, or return the response to replay.

        Raises the error Stripe answers for a mismatch or an in-flight duplicate. Runs
        without awaiting, so on one event loop the check-and-claim is atomic.
        """
        entry = self._entries.get((api_key, key))
        if entry is None:
            claim = Claim(api_key, key, fingerprint)
            self._entries[(api_key, key)] = claim
            return claim
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

    def finish(self, claim: Claim, response: StoredResponse | None) -> None:
        """Store the result, or release the key when the result must not be saved.

        A claim the store no longer holds is ignored: the store was cleared while the request
        ran (and the key may have been claimed anew since), so there is nothing to update.
        """
        if self._entries.get((claim.api_key, claim.key)) is not claim:
            return
        if response is None:
            del self._entries[(claim.api_key, claim.key)]
        else:
            claim.response = response

    def clear(self) -> None:
        self._entries.clear()
