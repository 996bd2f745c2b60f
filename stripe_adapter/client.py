"""The one StripeClient a process holds, and its shutdown."""

from __future__ import annotations

import logging

import stripe

from stripe_adapter.observed import ObservedHTTPClient, StripeObserver
from stripe_adapter.sdk_logging import quiet_sdk_logging
from stripe_adapter.settings import StripeSettings
from stripe_adapter.transport import DeadlineAwareHTTPClient

# The SDK logs every Stripe error message at INFO (and response bodies at DEBUG); after an
# authentication failure that message quotes the end of the API key. The adapter reports every
# failure itself, as a domain error without it, so the SDK's own records stay below WARNING.
logging.getLogger("stripe").setLevel(logging.WARNING)
quiet_sdk_logging()  # and its messages are not formatted only to be dropped


class StripeConnection:
    """A StripeClient over a pooled async HTTP client; build one per process, close at shutdown.

    Sharing it keeps TCP/TLS connections to Stripe alive between calls. With an `observer`,
    each request attempt is told to it (stripe_adapter.observed).
    """

    def __init__(self, settings: StripeSettings, observer: StripeObserver | None = None) -> None:
        self._http = DeadlineAwareHTTPClient(
            timeout_seconds=settings.timeout_seconds,
            connect_timeout_seconds=settings.connect_timeout_seconds,
            max_connections=settings.max_connections,
            proxy_url=settings.proxy_url,
        )
        http: stripe.HTTPClient = self._http
        if observer is not None:
            http = ObservedHTTPClient(self._http, observer)
        api_base = settings.api_base.rstrip("/") if settings.api_base else None
        self.client = stripe.StripeClient(
            settings.api_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=settings.max_network_retries,
            http_client=http,
        )

    async def aclose(self) -> None:
        """Closes the pooled connections; the client is unusable afterwards."""
        await self._http.close_async()
