"""Running one Stripe request: the deadline first, then 429 retries, then the generic failures.

The SDK retries connection errors, 409 and 5xx itself (reusing one idempotency key), but not
429. Here a 429 is retried after Retry-After (at most `rate_limit_max_delay_seconds`), or an
exponential back-off with jitter, only while the caller's deadline leaves room for the wait plus
another attempt, and never more than `max_rate_limit_retries` times (a bound on how hard we
hammer a rate-limited account). A write's RequestOptions, and so its idempotency key, are the
same for every attempt.

Only failures that mean the same for every call are translated here (see `errors`); an
`InvalidRequestError` leaves the runner as it is, for the gateway method to say what it means.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import stripe

from domain.call import Deadline, WriteOptions
from domain.errors import DeadlineExceeded, ProviderUnavailable, RateLimited, RequestIdReused
from stripe_adapter.deadline import DeadlinePassed, deadline_scope
from stripe_adapter.errors import generic_error, provider_context
from stripe_adapter.observed import StripeObserver
from stripe_adapter.settings import StripeSettings

T = TypeVar("T")
Send = Callable[[stripe.RequestOptions], Awaitable[T]]

_MIN_ATTEMPT_SECONDS = 0.05  # what a retry needs at least, on top of the wait, to be worth it


class StripeRunner:
    """Runs SDK requests under the caller's deadline, retrying what only time can cure."""

    def __init__(
        self,
        settings: StripeSettings,
        rng: random.Random | None = None,
        observer: StripeObserver | None = None,
    ) -> None:
        self._settings = settings
        self._rng = rng or random.Random()
        self._observer = observer

    async def read(self, send: Send[T], deadline: Deadline) -> T:
        return await self._run(send, deadline, {})

    async def write(self, send: Send[T], options: WriteOptions) -> T:
        """A write under the caller's idempotency key or, without one, a key of its own for this
        logical call, so that the runner's 429 retries are safe too (the SDK's generated key
        would cover only the SDK's own retries)."""
        key = options.idempotency_key or f"payments-adapter-{uuid.uuid4()}"
        try:
            return await self._run(send, options.deadline, {"idempotency_key": key})
        except stripe.IdempotencyError as exc:
            raise RequestIdReused(
                options.operation, options.request_id, provider=provider_context(exc)
            ) from exc

    async def _run(self, send: Send[T], deadline: Deadline, options: stripe.RequestOptions) -> T:
        deadline.check("before any Stripe request was made")
        retries = 0
        while True:
            started = time.monotonic()
            try:
                return await _attempt(send, options, deadline)
            except stripe.RateLimitError as exc:
                wait = self._rate_limit_wait(exc, retries)
                if not self._can_retry(wait, retries, deadline, time.monotonic() - started):
                    raise RateLimited(
                        "Stripe rate-limited the request; the deadline or retry budget "
                        "allows no more waiting",
                        retry_after_seconds=wait,
                        provider=provider_context(exc),
                    ) from exc
                retries += 1
                if self._observer is not None:
                    self._observer.stripe_retry("rate_limited")
                await asyncio.sleep(wait)
            except (stripe.InvalidRequestError, stripe.IdempotencyError):
                raise  # what they mean depends on the call
            except (stripe.AuthenticationError, stripe.PermissionError) as exc:
                # Suppress the chained SDK error: its message quotes part of the API key.
                raise generic_error(exc, self._unavailable_after) from None
            except stripe.StripeError as exc:
                raise generic_error(exc, self._unavailable_after) from exc
            except DeadlinePassed as exc:
                raise _deadline_error(exc, self._unavailable_after) from exc
            except TimeoutError as exc:
                raise _deadline_error(DeadlinePassed(), self._unavailable_after) from exc

    @property
    def _unavailable_after(self) -> float:
        return self._settings.unavailable_retry_after_seconds

    def _rate_limit_wait(self, exc: stripe.RateLimitError, retries: int) -> float:
        retry_after = _retry_after_header(exc)
        if retry_after is not None:
            # Capped like the back-off: a huge Retry-After must not park a call for as long as
            # the header says.
            return min(retry_after, self._settings.rate_limit_max_delay_seconds)
        delay = min(
            self._settings.rate_limit_base_delay_seconds * 2.0**retries,
            self._settings.rate_limit_max_delay_seconds,
        )
        return delay * self._rng.uniform(0.5, 1.0)  # jitter spreads out competing retries

    def _can_retry(
        self, wait: float, retries: int, deadline: Deadline, attempt_seconds: float
    ) -> bool:
        if retries >= self._settings.max_rate_limit_retries:
            return False
        return wait + max(attempt_seconds, _MIN_ATTEMPT_SECONDS) < deadline.seconds_left()


async def _attempt(send: Send[T], options: stripe.RequestOptions, deadline: Deadline) -> T:
    with deadline_scope(deadline):
        # Hard stop at the deadline, whatever phase (connect, read, SDK back-off) is running.
        async with asyncio.timeout(deadline.seconds_left()):
            return await send(options)


def _deadline_error(exc: DeadlinePassed, retry_after: float) -> Exception:
    if exc.during_retry_wait:
        # Stripe failed transiently, and the SDK's back-off before retrying would outlive the
        # deadline: report the provider's failure now rather than idle until the deadline.
        return ProviderUnavailable(
            "Stripe failed transiently and the deadline leaves no time to retry",
            retry_after_seconds=retry_after,
        )
    return DeadlineExceeded(
        "the call's deadline passed while waiting for Stripe; a write may or may not have been "
        "applied, and retrying it with the same request_id is safe"
    )


def _retry_after_header(exc: stripe.RateLimitError) -> float | None:
    """Stripe's Retry-After in seconds, when present and numeric (headers may be any case)."""
    for name, value in (exc.headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None
