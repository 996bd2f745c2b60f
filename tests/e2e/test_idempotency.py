"""request_id retries and external_product_id uniqueness under concurrency."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from payments.v1 import payments_pb2
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub, objects, rich_details

Metadata = tuple[tuple[str, str], ...]


async def test_same_request_id_returns_the_same_customer(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="req-1")
    first = await stub.CreateCustomer(request, metadata=auth, timeout=5)
    again = await stub.CreateCustomer(request, metadata=auth, timeout=5)
    assert again.customer == first.customer
    assert objects(emulator.stats(), "customer") == 1


async def test_request_id_reused_with_other_params(stub: Stub, auth: Metadata) -> None:
    first = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="req-2")
    other = payments_pb2.CreateCustomerRequest(email="john@example.com", request_id="req-2")
    await stub.CreateCustomer(first, metadata=auth, timeout=5)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(other, metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = rich_details(raised.value)["error_info"]
    assert info.reason == "REQUEST_ID_REUSED"
    assert info.metadata["request_id"] == "req-2"


async def test_concurrent_creates_with_one_external_id_make_one_product(
    stub: Stub, auth: Metadata, emulator: EmulatorHandle
) -> None:
    def request() -> payments_pb2.CreateProductRequest:
        return payments_pb2.CreateProductRequest(
            name="Mug",
            unit_amount=1200,
            currency="eur",
            external_product_id="SKU-MUG",
            request_id=str(uuid.uuid4()),
        )

    calls = [stub.CreateProduct(request(), metadata=auth, timeout=10) for _ in range(20)]
    results = await asyncio.gather(*calls, return_exceptions=True)

    created = [r for r in results if isinstance(r, payments_pb2.CreateProductResponse)]
    failed = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(created) == 1, results
    assert len(failed) == 19
    product = created[0].product
    for error in failed:
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS
        info = rich_details(error)["error_info"]
        assert info.reason == "EXTERNAL_PRODUCT_ID_TAKEN"
        assert info.metadata["product_id"] == product.id
        assert info.metadata["external_product_id"] == "SKU-MUG"
    assert objects(emulator.stats(), "product") == 1
    by_id = await stub.GetProduct(
        payments_pb2.GetProductRequest(product_id=product.id), metadata=auth, timeout=5
    )
    by_external = await stub.GetProduct(
        payments_pb2.GetProductRequest(external_product_id="SKU-MUG"), metadata=auth, timeout=5
    )
    assert by_id.product == product == by_external.product
