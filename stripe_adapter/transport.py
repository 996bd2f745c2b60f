"""The SDK's HTTP transport: httpx, async only, with per-attempt timeouts from the deadline.

Built on `stripe.HTTPClient`, the SDK's documented extension point, rather than on
`stripe.HTTPXClient`, whose timeout is fixed when it is constructed.

The connection pool is ours, not httpcore's: `max_connections` httpx clients of one connection
each, lent to one request at a time (the most recently returned first); a request that finds
none free waits its turn on an asyncio.Semaphore (first come, first served). httpcore's shared
pool misbehaves with many concurrent callers on one event loop, which is what the HTTP/JSON
door's 64 callers made visible:

- every request start and finish rescans every queued request against every pooled connection
  and polls each idle socket (O(queued x connections)): with 64 callers on 50 connections the
  CPU per call went from 2 ms to 5+ ms, so the process saturated and the queue grew further;
- handing a connection to a request does not reserve it: until that request's task runs, the
  connection still looks idle and is handed out again, and the loser of the race retries in a
  loop (~3 retries per request under load), now and then for seconds: p99 of 1-5 s.

A client that never has more than one request in flight has none of that (its pool is one
connection). LIFO keeps the recently used connections busy, so the rest sit idle and expire
(httpx's keep-alive expiry, 5 s) when the load drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Mapping
from typing import Any

import httpx
import stripe

from stripe_adapter.deadline import DeadlinePassed, current_remaining

_NETWORK_ERROR = "Could not reach Stripe (network error: {name})."
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Stripe's answers are kilobytes (a page of 100 expanded events, a few hundred); a bigger one
is no Stripe answer, and is not read into memory."""
log = logging.getLogger("stripe_adapter")


class DeadlineAwareHTTPClient(stripe.HTTPClient):
    """Up to `max_connections` pooled connections; every attempt's timeout is min(configured,
    time left), and so is the wait for a free connection."""

    name = "httpx-deadline-aware"

    def __init__(
        self, *, timeout_seconds: float, connect_timeout_seconds: float, max_connections: int
    ) -> None:
        super().__init__()
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._timeout_seconds = timeout_seconds
        self._connect_timeout_seconds = connect_timeout_seconds
        # Stripe's own CA bundle, as the SDK's clients use; http:// (the emulator) ignores it.
        verify = ssl.create_default_context(cafile=stripe.ca_bundle_path)
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self._all = tuple(
            httpx.AsyncClient(verify=verify, limits=one) for _ in range(max_connections)
        )
        self._idle = list(reversed(self._all))  # a stack: the last one returned goes out first
        self._slots = asyncio.Semaphore(max_connections)  # one per client in `_idle`

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        timeout, bound_by_deadline = self._attempt_timeout()
        started = time.monotonic()
        client = await self._borrow(timeout, bound_by_deadline)
        # The whole attempt, not only each read, within `timeout`: a server trickling its
        # answer a byte at a time would otherwise hold the call far past it.
        whole = max(0.0, timeout - (time.monotonic() - started))
        try:
            async with asyncio.timeout(whole):
                body, status, answered = await _exchange(
                    client, method, url, headers, post_data,
                    httpx.Timeout(whole, connect=min(whole, self._connect_timeout_seconds)),
                )  # fmt: skip
        except TimeoutError as exc:
            if bound_by_deadline:
                raise DeadlinePassed() from exc
            raise _connection_error(httpx.ReadTimeout("the whole answer took too long")) from exc
        except httpx.TimeoutException as exc:
            if bound_by_deadline:
                # The caller's deadline, not Stripe's slowness, ended this attempt.
                raise DeadlinePassed() from exc
            raise _connection_error(exc) from exc
        except httpx.HTTPError as exc:
            raise _connection_error(exc) from exc
        finally:
            self._idle.append(client)
            self._slots.release()
        return body, status, answered

    async def _borrow(self, wait_seconds: float, bound_by_deadline: bool) -> httpx.AsyncClient:
        """A free connection's client; waits for one (FIFO) at most `wait_seconds`, as httpx's
        own pool wait (its `pool` timeout) would."""
        if self._slots.locked():  # none free, or others already waiting: no overtaking them
            try:
                async with asyncio.timeout(wait_seconds):
                    await self._slots.acquire()
            except TimeoutError as exc:
                if bound_by_deadline:
                    raise DeadlinePassed() from exc
                raise _connection_error(httpx.PoolTimeout("no free connection")) from exc
        else:
            await self._slots.acquire()  # returns at once
        return self._idle.pop()

    def sleep_async(self, secs: float) -> Awaitable[None]:
        """The SDK's back-off between its retries; refuses a wait the deadline cannot afford."""
        left = current_remaining()
        if left is not None and secs >= left:
            raise DeadlinePassed(during_retry_wait=True)
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        # Every client is closed even should closing one of them raise (the stack re-raises).
        async with contextlib.AsyncExitStack() as closing:
            for client in self._all:
                closing.push_async_callback(client.aclose)

    def _attempt_timeout(self) -> tuple[float, bool]:
        left = current_remaining()
        if left is None or left >= self._timeout_seconds:
            return self._timeout_seconds, False
        if left <= 0:
            raise DeadlinePassed()
        return left, True


async def _exchange(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: Mapping[str, str],
    post_data: Any,
    limits: httpx.Timeout,
) -> tuple[bytes, int, Mapping[str, str]]:
    """One request, its answer read up to MAX_RESPONSE_BYTES (beyond: a connection error)."""
    request = client.build_request(
        method, url, headers=dict(headers), content=post_data, timeout=limits
    )
    response = await client.send(request, stream=True)
    try:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():  # decoded: a compressed bomb is capped too
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise httpx.DecodingError(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
            chunks.append(chunk)
    finally:
        await response.aclose()
    return b"".join(chunks), response.status_code, response.headers


def _connection_error(exc: Exception) -> stripe.APIConnectionError:
    # The cause, for the operator (httpx names the failure and the host, never a credential);
    # the SDK's error stays generic, and retryable by the SDK (same idempotency key).
    log.info("Stripe could not be reached: %s: %s", type(exc).__name__, exc or "no detail")
    return stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # SDK ctor lacks hints
        _NETWORK_ERROR.format(name=type(exc).__name__), should_retry=True
    )
