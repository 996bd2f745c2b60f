"""The SDK's HTTP transport: httpx, async only, with per-attempt timeouts from the deadline.

Built on `stripe.HTTPClient`, the SDK's documented extension point, rather than on
`stripe.HTTPXClient`, whose timeout is fixed when it is constructed.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx
import stripe

from stripe_adapter.deadline import DeadlinePassed, current_remaining

_NETWORK_ERROR = "Could not reach Stripe (network error: {name})."


class DeadlineAwareHTTPClient(stripe.HTTPClient):
    """One pooled httpx.AsyncClient; every attempt's timeout is min(configured, time left)."""

    name = "httpx-deadline-aware"

    def __init__(
        self, *, timeout_seconds: float, connect_timeout_seconds: float, max_connections: int
    ) -> None:
        super().__init__()
        self._timeout_seconds = timeout_seconds
        self._connect_timeout_seconds = connect_timeout_seconds
        # Stripe's own CA bundle, as the SDK's clients use; http:// (the emulator) ignores it.
        verify = ssl.create_default_context(cafile=stripe.ca_bundle_path)
        self._client = httpx.AsyncClient(
            verify=verify,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        timeout, bound_by_deadline = self._attempt_timeout()
        try:
            response = await self._client.request(
                method,
                url,
                headers=dict(headers),
                content=post_data,
                timeout=httpx.Timeout(timeout, connect=min(timeout, self._connect_timeout_seconds)),
            )
        except httpx.TimeoutException as exc:
            if bound_by_deadline:
                # The caller's deadline, not Stripe's slowness, ended this attempt.
                raise DeadlinePassed() from exc
            raise _connection_error(exc) from exc
        except httpx.HTTPError as exc:
            raise _connection_error(exc) from exc
        return response.content, response.status_code, response.headers

    def sleep_async(self, secs: float) -> Awaitable[None]:
        """The SDK's back-off between its retries; refuses a wait the deadline cannot afford."""
        left = current_remaining()
        if left is not None and secs >= left:
            raise DeadlinePassed(during_retry_wait=True)
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        await self._client.aclose()

    def _attempt_timeout(self) -> tuple[float, bool]:
        left = current_remaining()
        if left is None or left >= self._timeout_seconds:
            return self._timeout_seconds, False
        if left <= 0:
            raise DeadlinePassed()
        return left, True


def _connection_error(exc: Exception) -> stripe.APIConnectionError:
    # Retryable by the SDK (same idempotency key); the message names no URL or credentials.
    return stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # SDK ctor lacks hints
        _NETWORK_ERROR.format(name=type(exc).__name__), should_retry=True
    )
