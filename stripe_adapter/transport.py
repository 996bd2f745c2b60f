"""The SDK's HTTP transport: aiohttp, async only, each request bounded by the caller's deadline.

Why aiohttp: measured side by side with the httpx transport it replaced, a GetPaymentStatus read
from Stripe costs the service ~0.6x the CPU and it serves 1.5-2x the calls/s (docs/benchmarks.md,
"Stripe transport: httpx vs aiohttp"). That transport had to keep a pool of its own, one
single-connection client per connection, because httpcore's shared pool rescanned every waiting
request whenever one started or ended and let a request lose the connection it had just been
handed: CPU, and seconds-long stalls, under 64 callers.

Built on `stripe.HTTPClient`, the SDK's documented extension point, rather than on
`stripe.AIOHTTPClient`, whose timeout is fixed when it is constructed, which reads an answer
whole whatever its size, and whose failures while reading an answer escape as aiohttp's own.

- One `aiohttp.ClientSession` on one `TCPConnector` of `max_connections`, made on first use
  (it belongs to the running event loop) and closed by `close_async`. HTTP/1.1, one request per
  connection at a time: no request waits behind another's answer.
- Requests beyond `max_connections` wait their turn on an asyncio.Semaphore, first come, first
  served, so the connector itself never queues: it hands a freed connection to whichever request
  asks first, and a newcomer can take it from the waiter it woke (who then queues again).
- One timeout covers the whole request, the wait for a connection included: min(configured,
  deadline left). The connect alone is bounded by `connect_timeout_seconds` too.
- The answer is read decoded up to MAX_RESPONSE_BYTES (aiohttp inflates a compressed answer in
  bounded steps, so a compression bomb is cut off too).
- `trust_env` is off: HTTP(S)_PROXY and ~/.netrc are not read, so nothing in the environment
  reroutes the Stripe key or adds credentials. The DNS answer is cached for DNS_CACHE_SECONDS.
- A forward proxy only when `proxy_url` names one (STRIPE_PROXY_URL), for every request: to
  Stripe (https://) a CONNECT tunnel, TLS end to end with Stripe inside it. Its credentials go in
  the Proxy-Authorization header alone (stripe_adapter/proxy.py), so no error or log line quotes
  them; the connect to the proxy is bounded as a connect to Stripe is, and the proxy refusing
  them (407) is a connection error as a proxy out of reach is.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
import stripe

from stripe_adapter.deadline import DeadlinePassed, current_remaining
from stripe_adapter.proxy import ForwardProxy

_NETWORK_ERROR = "Could not reach Stripe (network error: {name})."
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Stripe's answers are kilobytes (a page of 100 expanded events, a few hundred); a bigger one
is no Stripe answer, and is not read into memory."""
DNS_CACHE_SECONDS = 10
log = logging.getLogger("stripe_adapter")


class DeadlineAwareHTTPClient(stripe.HTTPClient):
    """Up to `max_connections` pooled connections; every request's timeout, the wait for a free
    connection included, is min(configured, time left)."""

    name = "aiohttp-deadline-aware"

    def __init__(
        self,
        *,
        timeout_seconds: float,
        connect_timeout_seconds: float,
        max_connections: int,
        proxy_url: str | None = None,
    ) -> None:
        super().__init__()
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._timeout_seconds = timeout_seconds
        self._connect_timeout_seconds = connect_timeout_seconds
        self._max_connections = max_connections
        self._forward_proxy = ForwardProxy.of(proxy_url) if proxy_url else None
        self._slots = asyncio.Semaphore(max_connections)  # FIFO: a waiter is never overtaken
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        timeout, bound_by_deadline = self._attempt_timeout()
        session = self._open_session()
        whole = asyncio.timeout(timeout)
        waiting = True
        try:
            async with whole, self._slots:
                waiting = False
                return await _exchange(
                    session, self._forward_proxy, method, url, headers, post_data
                )
        except (aiohttp.ClientError, OSError) as exc:  # TimeoutError is an OSError too
            if not whole.expired():  # a failure, or aiohttp's own connect timeout
                raise _connection_error(exc, self._forward_proxy) from exc
            if bound_by_deadline:
                # The caller's deadline, not Stripe's slowness, ended this attempt.
                raise DeadlinePassed() from exc
            what = "no free connection" if waiting else "no whole answer"
            late = TimeoutError(f"{what} within {timeout:g} s")
            raise _connection_error(late, self._forward_proxy) from exc

    def _open_session(self) -> aiohttp.ClientSession:
        if self._closed:
            closed = RuntimeError("the Stripe client is closed")
            raise _connection_error(closed, None, retry=False)  # not the network
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,  # what the semaphore lets through, no more
                # Stripe's own CA bundle, as the SDK's clients use; http:// ignores it.
                ssl=ssl.create_default_context(cafile=stripe.ca_bundle_path),
                ttl_dns_cache=DNS_CACHE_SECONDS,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # The whole request is bounded by request_async; aiohttp bounds the connect.
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self._connect_timeout_seconds
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # every request stands alone, as Stripe's do
                trust_env=False,
            )
        return self._session

    def sleep_async(self, secs: float) -> Awaitable[None]:
        """The SDK's back-off between its retries; refuses a wait the deadline cannot afford."""
        left = current_remaining()
        if left is not None and secs >= left:
            raise DeadlinePassed(during_retry_wait=True)
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        """Closes the connections (waiting for each to close); later requests fail at once."""
        self._closed = True
        if self._session is not None:
            await self._session.close()

    def _attempt_timeout(self) -> tuple[float, bool]:
        left = current_remaining()
        if left is None or left >= self._timeout_seconds:
            return self._timeout_seconds, False
        if left <= 0:
            raise DeadlinePassed()
        return left, True


async def _exchange(
    session: aiohttp.ClientSession,
    proxy: ForwardProxy | None,
    method: str,
    url: str,
    headers: Mapping[str, str],
    post_data: Any,
) -> tuple[bytes, int, Mapping[str, str]]:
    """One request and its answer (through `proxy` if any), read up to MAX_RESPONSE_BYTES
    (beyond: ClientPayloadError)."""
    body = post_data.encode() if isinstance(post_data, str) else post_data
    async with session.request(
        method,
        url,
        headers=proxy.signed(url, headers) if proxy else headers,
        data=body,
        allow_redirects=False,
        proxy=proxy.url if proxy else None,
        proxy_headers=proxy.headers if proxy else None,
    ) as response:
        if proxy and response.status == HTTPStatus.PROXY_AUTHENTICATION_REQUIRED:
            # The proxy's answer to a plain-http request (Stripe never sends it): as to a CONNECT.
            raise aiohttp.ClientHttpProxyError(
                response.request_info, (), status=response.status, message=response.reason or ""
            )
        return await _capped_body(response), response.status, response.headers


async def _capped_body(response: aiohttp.ClientResponse) -> bytes:
    declared = response.content_length  # of the encoded answer, when it says
    if declared is not None and declared > MAX_RESPONSE_BYTES:
        raise aiohttp.ClientPayloadError(f"the answer declares {declared} bytes")
    chunks, size = [], 0
    while chunk := await response.content.readany():  # decoded
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise aiohttp.ClientPayloadError(
                f"the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _connection_error(
    exc: Exception, proxy: ForwardProxy | None, retry: bool = True
) -> stripe.APIConnectionError:
    # The cause, for the operator (aiohttp names the failure and the host, never a credential:
    # the proxy's URL it holds has none); the SDK's error stays generic, and retryable by the
    # SDK (same idempotency key).
    through = f" through the proxy {proxy.address}" if proxy else ""
    log.info(
        "Stripe could not be reached%s: %s: %s", through, type(exc).__name__, exc or "no detail"
    )
    return stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # SDK ctor lacks hints
        _NETWORK_ERROR.format(name=type(exc).__name__), should_retry=retry
    )
