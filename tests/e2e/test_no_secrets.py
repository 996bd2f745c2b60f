"""No key ever appears in a log line or an error: every logger at DEBUG (the libraries'
included) while calls succeed, are refused for a wrong key, and fail on Stripe's refusal of the
service's own key; nor the password of the forward proxy to Stripe (STRIPE_PROXY_URL)."""

from __future__ import annotations

import base64
import logging
import socket
from dataclasses import replace

import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import running_service
from service.config import Settings, load_settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, SECOND_API_KEY, Stub, rich_details, service_env
from tests.forward_proxy import forward_proxy

PRESENTED = "presented-but-wrong-key-5f3a9c1e77"
# Ends in four characters that no hex address or timing can spell by chance.
REJECTED_STRIPE_KEY = "sk_test_rejected-by-stripe-Zq_W"


def text_of(record: logging.LogRecord) -> str:
    return " ".join(
        [record.getMessage(), logging.Formatter().formatException(record.exc_info)]
        if record.exc_info
        else [record.getMessage()]
    )


def assert_absent(texts: list[str], *secrets: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into: {text[:300]}"


async def every_rpc(stub: Stub, metadata: tuple[tuple[str, str], ...], sku: str = "SKU-S") -> None:
    customer = (
        await stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(email="a@example.com", request_id="r1"),
            metadata=metadata,
            timeout=5,
        )
    ).customer
    product = (
        await stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Mug", unit_amount=100, currency="usd", external_product_id=sku
            ),
            metadata=metadata,
            timeout=5,
        )
    ).product
    await stub.GetProduct(
        payments_pb2.GetProductRequest(product_id=product.id), metadata=metadata, timeout=5
    )
    checkout = await stub.CreateCheckout(
        payments_pb2.CreateCheckoutRequest(product_id=product.id, customer_id=customer.id),
        metadata=metadata,
        timeout=5,
    )
    await stub.GetPaymentStatus(
        payments_pb2.GetPaymentStatusRequest(id=checkout.checkout_session_id),
        metadata=metadata,
        timeout=5,
    )


async def test_no_key_in_any_log_record_or_error(
    stub: Stub,
    settings: Settings,
    emulator: EmulatorHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root: every logger of every library
    for chatty in ("aiohttp", "grpc"):  # as a service's logging set-up may have left them
        caplog.set_level(logging.DEBUG, logger=chatty)
    errors: list[str] = []

    await every_rpc(stub, (("x-api-key", API_KEY),))
    await every_rpc(stub, (("authorization", f"Bearer {SECOND_API_KEY}"),), "SKU-T")
    for metadata in (
        (("x-api-key", PRESENTED),),
        (("authorization", f"Bearer {PRESENTED}"),),
        (("x-api-key", API_KEY[:-1]),),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await every_rpc(stub, metadata)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        errors += [str(refused.value.details()), str(refused.value.trailing_metadata())]

    rejected = replace(settings, stripe_secret_key=REJECTED_STRIPE_KEY)
    async with (
        running_service(rejected) as service,
        grpc.aio.insecure_channel(service.address) as channel,
    ):
        with pytest.raises(grpc.aio.AioRpcError) as internal:
            await every_rpc(
                payments_pb2_grpc.PaymentServiceStub(channel), (("x-api-key", API_KEY),)
            )
    assert internal.value.code() == grpc.StatusCode.INTERNAL
    errors += [str(internal.value.details()), str(internal.value.trailing_metadata())]

    logged = [text_of(record) for record in caplog.records]
    assert sum(r.name == "service.rpc" for r in caplog.records) == 14  # one per call
    libraries = ("aiosqlite", "alembic", "grpc", "aiohttp")
    assert any(r.name.startswith(libraries) for r in caplog.records)  # libraries logged too
    secrets = (API_KEY, SECOND_API_KEY, PRESENTED, API_KEY[:-1], emulator.api_key)
    assert_absent(logged + errors, *secrets, REJECTED_STRIPE_KEY)
    # Not even Stripe's redacted form of our key (its last four characters).
    assert_absent(logged + errors, REJECTED_STRIPE_KEY[-4:])


PROXY_CREDENTIALS = ("payments", "pr0xy-Pass_Zq8")


async def test_no_proxy_password_in_any_log_record_or_error(
    emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    """STRIPE_PROXY_URL from the environment to the transport: every Stripe request of every RPC
    through the proxy, signed in; a proxy out of reach is STRIPE_UNAVAILABLE. Neither logs or
    answers the proxy's password."""
    caplog.set_level(logging.DEBUG)
    for chatty in ("aiohttp", "grpc"):
        caplog.set_level(logging.DEBUG, logger=chatty)
    auth = (("x-api-key", API_KEY),)
    async with forward_proxy(PROXY_CREDENTIALS) as proxy:
        environ = {**service_env(emulator, (API_KEY,)), "STRIPE_PROXY_URL": proxy.url}
        async with (
            running_service(load_settings(environ)) as service,
            grpc.aio.insecure_channel(service.address) as channel,
        ):
            await every_rpc(payments_pb2_grpc.PaymentServiceStub(channel), auth)
    assert proxy.refused == 0
    requests: dict[str, int] = emulator.stats()["requests"]  # by "METHOD route"
    stripe_requests = sum(n for route, n in requests.items() if " /v1/" in route)
    assert len(proxy.forwarded) == stripe_requests >= 5

    with socket.socket() as refusing:  # bound, not listening: connections refused
        refusing.bind(("127.0.0.1", 0))
        unreachable = proxy.url.replace(proxy.address, f"127.0.0.1:{refusing.getsockname()[1]}")
        environ.update(STRIPE_PROXY_URL=unreachable, STRIPE_MAX_NETWORK_RETRIES="0")
        async with (
            running_service(load_settings(environ)) as service,
            grpc.aio.insecure_channel(service.address) as channel,
        ):
            with pytest.raises(grpc.aio.AioRpcError) as unavailable:
                await every_rpc(payments_pb2_grpc.PaymentServiceStub(channel), auth)
    assert rich_details(unavailable.value)["error_info"].reason == "STRIPE_UNAVAILABLE"

    errors = [str(unavailable.value.details()), str(unavailable.value.trailing_metadata())]
    logged = [text_of(record) for record in caplog.records]
    assert any("through the proxy 127.0.0.1:" in line for line in logged)
    token = base64.b64encode(":".join(PROXY_CREDENTIALS).encode()).decode("ascii")
    assert_absent(logged + errors, PROXY_CREDENTIALS[1], token)
