"""The forward proxy that Stripe requests go through (STRIPE_PROXY_URL), split into where it is
and how to sign in to it: the credentials travel in the Proxy-Authorization header alone, never in
a URL that an error message or a log line could quote."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, slots=True)
class ForwardProxy:
    """Where every Stripe request goes first, and the header that signs in to it."""

    url: str
    """scheme://host[:port], without credentials: what the transport connects to."""
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    """Proxy-Authorization (Basic) when the proxy's URL held credentials: for the CONNECT of an
    https:// request (aiohttp's proxy_headers go there only)."""

    @property
    def address(self) -> str:
        """host[:port], for log lines."""
        return self.url.partition("://")[2]

    def signed(self, url: str, headers: Mapping[str, str]) -> Mapping[str, str]:
        """The headers of a request to `url`. A proxy reads a plain-http request itself, so the
        credentials go with it; never into an https:// one, whose headers only Stripe reads."""
        if self.headers is None or not url.startswith("http://"):
            return headers
        return {**headers, **self.headers}

    @classmethod
    def of(cls, proxy_url: str) -> ForwardProxy:
        """From http(s)://[user[:password]@]host[:port] (checked by the service's settings);
        user and password percent-decoded, as in any URL."""
        parts = urlsplit(proxy_url)
        userinfo, signs_in, address = parts.netloc.rpartition("@")
        url = f"{parts.scheme}://{address}"
        if not signs_in:
            return cls(url)
        user, _, password = userinfo.partition(":")
        token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
        return cls(url, {"Proxy-Authorization": f"Basic {token}"})
