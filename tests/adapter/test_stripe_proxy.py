"""STRIPE_PROXY_URL: every Stripe request goes through the forward proxy it names. The real SDK
drives the emulator through a proxy on loopback (tests/forward_proxy.py): plain http as
absolute-form requests, and https (the emulator behind a TLS front, as Stripe is) through a
CONNECT tunnel, with the proxy's credentials in Proxy-Authorization. A proxy that cannot be
reached, or refuses, is STRIPE_UNAVAILABLE, logged with its address and never its password. The
environment's proxy variables stay unread (with no proxy set: test_connection_pool.py)."""

from __future__ import annotations

import base64
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import stripe
import trustme

from domain.call import Deadline
from domain.errors import ProviderUnavailable
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.proxy import ForwardProxy
from stripe_adapter.settings import StripeSettings
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import (
    api_requests,
    in_seconds,
    new_product,
    settings_for,
    unavailable_read,
    write,
)
from tests.forward_proxy import forward_proxy, tls_front

# Characters a URL must percent-encode: the transport sends them decoded.
CREDENTIALS = ("payments", "hunter2@:/%")
PASSWORD = CREDENTIALS[1]
# As given, as in the URL, as in the Proxy-Authorization header.
PASSWORD_FORMS = (
    PASSWORD,
    quote(PASSWORD, safe=""),
    base64.b64encode(":".join(CREDENTIALS).encode()).decode("ascii"),
)


async def create_and_read(gateway: StripePaymentGateway) -> None:
    """With the environment's proxy variables at a port where nobody listens: followed, they
    would fail the calls. (Only meanwhile: the emulator's test handle follows them.)"""
    with pytest.MonkeyPatch.context() as environment:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            environment.setenv(name, "http://127.0.0.1:9")
        for name in ("NO_PROXY", "no_proxy"):
            environment.delenv(name, raising=False)
        try:
            created = await gateway.create_product(new_product("sku-proxied"), write())
            assert await gateway.get_product(created.id, in_seconds(5)) == created
        finally:
            await gateway.aclose()


@pytest.mark.parametrize("credentials", [None, CREDENTIALS], ids=["open", "signed-in"])
async def test_every_request_goes_through_the_proxy(
    emulator: EmulatorHandle, credentials: tuple[str, str] | None
) -> None:
    async with forward_proxy(credentials) as proxy:
        settings = settings_for(emulator, proxy_url=proxy.url)
        await create_and_read(StripePaymentGateway.from_settings(settings))

    sent = sum(api_requests(emulator).values())
    assert sent >= 2
    assert len(proxy.forwarded) == sent  # every request the emulator had came through it
    assert all(line.split()[1].startswith(f"{emulator.url}/v1/") for line in proxy.forwarded)
    assert proxy.refused == 0  # signed in whenever the proxy asks for it


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["http-proxy", "https-proxy"])
async def test_https_goes_through_a_connect_tunnel(
    emulator: EmulatorHandle, proxy_tls: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    # The certificates of the front (and of an https:// proxy) are trusted as Stripe's are: by
    # the SDK's CA bundle.
    monkeypatch.setattr(stripe, "ca_bundle_path", str(tmp_path / "ca.pem"))
    async with (
        tls_front(emulator.url, ca) as https,
        forward_proxy(CREDENTIALS, tls=ca if proxy_tls else None) as proxy,
    ):
        settings = settings_for(emulator, api_base=https, proxy_url=proxy.url)
        await create_and_read(StripePaymentGateway.from_settings(settings))

    assert sum(api_requests(emulator).values()) >= 2
    assert proxy.tunnels
    assert set(proxy.tunnels) == {https.removeprefix("https://")}
    assert (proxy.forwarded, proxy.refused) == ([], 0)  # the proxy saw no request, no key


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: a connection to it is refused at once."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


@pytest.fixture
def mute_port() -> Iterator[int]:
    """A port whose connections the kernel completes, and nobody reads or answers: a proxy
    that takes the CONNECT and never answers it."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        yield listening.getsockname()[1]


def proxy_url_at(port: int) -> str:
    user, password = CREDENTIALS
    return f"http://{user}:{quote(password, safe='')}@127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("port", "cause", "stripe_timeout"),
    [
        ("refusing_port", "ClientProxyConnectionError: Cannot connect to host 127.0.0.1:", 10),
        ("unanswered_port", "ConnectionTimeoutError: ", 10),  # at the connect timeout, 0.3 s
        ("mute_port", "TimeoutError: no whole answer within 1 s", 1),
    ],
)
async def test_an_unreachable_proxy_is_unavailable_within_the_timeout(
    port: str,
    cause: str,
    stripe_timeout: float,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    proxy_port: int = request.getfixturevalue(port)
    settings = StripeSettings(
        api_key="sk_test_standin", api_base="https://127.0.0.1:9", timeout_seconds=stripe_timeout,
        connect_timeout_seconds=0.3, max_network_retries=0, max_connections=1,
        proxy_url=proxy_url_at(proxy_port),
    )  # fmt: skip
    line = await unavailable_read(settings, caplog)  # the connect's 0.3 s, or the request's 1 s
    assert line.startswith(f"Stripe could not be reached through the proxy 127.0.0.1:{proxy_port}")
    assert cause in line
    assert_no_password(caplog)


@pytest.mark.parametrize("scheme", ["https", "http"])
async def test_a_proxy_refusing_the_credentials_is_unavailable(
    scheme: str, emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    # https: the proxy refuses the CONNECT; http: the request itself (answered 407 by the proxy,
    # which Stripe never answers).
    caplog.set_level(logging.DEBUG)
    async with forward_proxy(("payments", "another")) as proxy:
        settings = StripeSettings(
            api_key="sk_test_standin", timeout_seconds=5, max_network_retries=1,
            max_connections=1, proxy_url=proxy.url_signed_in_as(*CREDENTIALS),
            api_base="https://127.0.0.1:9" if scheme == "https" else emulator.url,
        )  # fmt: skip
        gateway = StripePaymentGateway.from_settings(settings)
        try:
            with pytest.raises(ProviderUnavailable):
                await gateway.get_payment("cs_test_1", Deadline.after(30))
        finally:
            await gateway.aclose()

    assert proxy.refused == 2  # the request (or its CONNECT), and the SDK's retry of it
    assert api_requests(emulator) == {}
    lines = [r.getMessage() for r in caplog.records if r.name == "stripe_adapter"]
    assert len(lines) == 2
    for line in lines:
        assert line.startswith(f"Stripe could not be reached through the proxy {proxy.address}")
        assert "ClientHttpProxyError: 407" in line
    assert_no_password(caplog)


def assert_no_password(caplog: pytest.LogCaptureFixture) -> None:
    """In no record of any logger, in no form (the SDK's error text included)."""
    for form in PASSWORD_FORMS:
        assert form not in caplog.text


def test_no_repr_shows_the_proxy_credentials() -> None:
    url = proxy_url_at(3128)
    settings = StripeSettings(
        api_key="sk_test_standin", api_base=None, timeout_seconds=5, max_network_retries=0,
        max_connections=1, proxy_url=url,
    )  # fmt: skip
    proxy = ForwardProxy.of(url)
    assert proxy.url == "http://127.0.0.1:3128"
    for text in (repr(settings), repr(proxy)):
        assert not any(form in text for form in PASSWORD_FORMS)
