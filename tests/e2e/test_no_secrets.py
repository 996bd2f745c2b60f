"""No key ever appears in a log line or an error: every logger at DEBUG (the libraries'
included) while calls succeed, are refused for a wrong key, and fail on Stripe's refusal of the
service's own key."""

from __future__ import annotations

import logging
from dataclasses import replace

import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import running_service
from service.config import Settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import API_KEY, SECOND_API_KEY, Stub

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
