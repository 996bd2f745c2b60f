"""Malformed ids are INVALID_ARGUMENT before Stripe is asked; unknown ids are NOT_FOUND per kind."""

from __future__ import annotations

import grpc
import pytest

from payments.v1 import payments_pb2
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub, rich_details, v1_requests
from tests.e2e.test_rpcs import create_customer, create_product

Metadata = tuple[tuple[str, str], ...]


async def test_malformed_payment_id(stub: Stub, auth: Metadata, emulator: EmulatorHandle) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetPaymentStatus(
            payments_pb2.GetPaymentStatusRequest(id="xx_1"), metadata=auth, timeout=5
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rich_details(raised.value)["error_info"].reason == "VALIDATION_FAILED"
    assert v1_requests(emulator.stats()) == 0


@pytest.mark.parametrize(
    ("payment_id", "reason", "key"),
    [
        ("cs_test_doesnotexist", "CHECKOUT_SESSION_NOT_FOUND", "checkout_session_id"),
        ("pi_doesnotexist", "PAYMENT_INTENT_NOT_FOUND", "payment_intent_id"),
    ],
)
async def test_unknown_payment_ids(
    stub: Stub, auth: Metadata, payment_id: str, reason: str, key: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetPaymentStatus(
            payments_pb2.GetPaymentStatusRequest(id=payment_id), metadata=auth, timeout=5
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    info = rich_details(raised.value)["error_info"]
    assert info.reason == reason
    assert info.metadata[key] == payment_id


@pytest.mark.parametrize(
    "lookup",
    [
        payments_pb2.GetProductRequest(product_id="prod_doesnotexist"),
        payments_pb2.GetProductRequest(external_product_id="NO-SUCH-SKU"),
    ],
    ids=["by-id", "by-external-id"],
)
async def test_unknown_product(
    stub: Stub, auth: Metadata, lookup: payments_pb2.GetProductRequest
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetProduct(lookup, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert rich_details(raised.value)["error_info"].reason == "PRODUCT_NOT_FOUND"


async def test_checkout_for_unknown_product(stub: Stub, auth: Metadata) -> None:
    customer = await create_customer(stub, auth)
    request = payments_pb2.CreateCheckoutRequest(product_id="prod_nope", customer_id=customer.id)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCheckout(request, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    info = rich_details(raised.value)["error_info"]
    assert (info.reason, info.metadata["product_id"]) == ("PRODUCT_NOT_FOUND", "prod_nope")


async def test_checkout_for_unknown_customer(stub: Stub, auth: Metadata) -> None:
    product = await create_product(stub, auth)
    request = payments_pb2.CreateCheckoutRequest(product_id=product.id, customer_id="cus_nope")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCheckout(request, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    info = rich_details(raised.value)["error_info"]
    assert (info.reason, info.metadata["customer_id"]) == ("CUSTOMER_NOT_FOUND", "cus_nope")
