"""Each RPC's success path, through the real server and the emulator."""

from __future__ import annotations

import grpc
import pytest

from payments.v1 import payments_pb2
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub, objects

Metadata = tuple[tuple[str, str], ...]


async def create_customer(stub: Stub, auth: Metadata) -> payments_pb2.Customer:
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com", name="Jane")
    response = await stub.CreateCustomer(request, metadata=auth, timeout=5)
    return response.customer


async def create_product(
    stub: Stub, auth: Metadata, external_id: str = "SKU-1", amount: int = 2500
) -> payments_pb2.Product:
    request = payments_pb2.CreateProductRequest(
        name="T-shirt", unit_amount=amount, currency="USD", external_product_id=external_id
    )
    response = await stub.CreateProduct(request, metadata=auth, timeout=5)
    return response.product


async def test_create_customer(stub: Stub, auth: Metadata, emulator: EmulatorHandle) -> None:
    request = payments_pb2.CreateCustomerRequest(
        email="jane@example.com", name="Jane Doe", metadata={"crm_id": "4711"}
    )
    customer = (await stub.CreateCustomer(request, metadata=auth, timeout=5)).customer
    assert customer.id.startswith("cus_")
    assert (customer.email, customer.name) == ("jane@example.com", "Jane Doe")
    assert dict(customer.metadata) == {"crm_id": "4711"}
    assert customer.create_time.seconds > 0
    assert objects(emulator.stats(), "customer") == 1


async def test_create_product_and_get_it_by_either_id(stub: Stub, auth: Metadata) -> None:
    product = await create_product(stub, auth, external_id="SKU-TSHIRT-M")
    assert product.id.startswith("prod_")
    assert product.price_id.startswith("price_")
    assert (product.unit_amount, product.currency) == (2500, "usd")
    assert product.external_product_id == "SKU-TSHIRT-M"
    by_id = await stub.GetProduct(
        payments_pb2.GetProductRequest(product_id=product.id), metadata=auth, timeout=5
    )
    by_external = await stub.GetProduct(
        payments_pb2.GetProductRequest(external_product_id="SKU-TSHIRT-M"),
        metadata=auth,
        timeout=5,
    )
    assert by_id.product == product
    assert by_external.product == product


async def test_create_checkout_and_status_open(stub: Stub, auth: Metadata) -> None:
    customer = await create_customer(stub, auth)
    product = await create_product(stub, auth)
    checkout = await stub.CreateCheckout(
        payments_pb2.CreateCheckoutRequest(
            product_id=product.id, customer_id=customer.id, quantity=2
        ),
        metadata=auth,
        timeout=5,
    )
    assert checkout.checkout_session_id.startswith("cs_")
    assert checkout.url.startswith("http")
    assert (checkout.amount_total, checkout.currency) == (5000, "usd")
    assert checkout.expire_time.seconds > 0
    status = await stub.GetPaymentStatus(
        payments_pb2.GetPaymentStatusRequest(id=checkout.checkout_session_id),
        metadata=auth,
        timeout=5,
    )
    assert status.status == payments_pb2.PAYMENT_STATUS_OPEN
    assert status.checkout_session_id == checkout.checkout_session_id
    assert status.customer_id == customer.id
    assert (status.amount_total, status.currency) == (5000, "usd")


async def test_unknown_method_is_unimplemented(channel: grpc.aio.Channel, auth: Metadata) -> None:
    call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
        "/payments.v1.PaymentService/Nope"
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call(b"", metadata=auth, timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
