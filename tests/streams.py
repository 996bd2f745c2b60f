"""Watch streams over a real channel, for the tests of how streams end and are limited: a
payment to watch, an event to read first (so a stream is known to be open once its first message
is read), and the failure a stream ended with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import grpc

from payments.v1 import payments_pb2
from tests.conftest import Stub, rich_details

if TYPE_CHECKING:  # the grpc classes are generic in the stubs only
    StreamCall: TypeAlias = grpc.aio.UnaryStreamCall[Any, Any] | grpc.aio.StreamStreamCall[Any, Any]

S = payments_pb2
Metadata = tuple[tuple[str, str], ...]


async def open_checkout(stub: Stub, auth: Metadata, order_id: str) -> str:
    """A new open checkout, through the API; its session id."""
    customer = await stub.CreateCustomer(
        S.CreateCustomerRequest(email="jane@example.com"), metadata=auth, timeout=5
    )
    product = await stub.CreateProduct(
        S.CreateProductRequest(
            name="T-shirt", unit_amount=1999, currency="USD", external_product_id=f"SKU-{order_id}"
        ),
        metadata=auth,
        timeout=5,
    )
    request = S.CreateCheckoutRequest(
        product_id=product.product.id,
        customer_id=customer.customer.id,
        client_reference_id=order_id,
    )
    checkout = await stub.CreateCheckout(request, metadata=auth, timeout=5)
    return checkout.checkout_session_id


async def record_an_event(stub: Stub, auth: Metadata) -> None:
    """A checkout expired through the API: the ledger's payment event every WatchPaymentEvents
    from the start reads first."""
    session_id = await open_checkout(stub, auth, "order-expired")
    request = S.ExpireCheckoutRequest(checkout_session_id=session_id)
    await stub.ExpireCheckout(request, metadata=auth, timeout=5)


async def watched_events(stub: Stub, auth: Metadata) -> StreamCall:
    """A WatchPaymentEvents from the start, open: its first event read."""
    watch = stub.WatchPaymentEvents(S.WatchPaymentEventsRequest(), metadata=auth, timeout=60)
    assert isinstance(await watch.read(), S.WatchPaymentEventsResponse)
    return watch


async def watched_status(stub: Stub, auth: Metadata, payment_id: str) -> StreamCall:
    """A WatchPaymentStatus of an open payment, open: its first update read."""
    request = S.WatchPaymentStatusRequest(id=payment_id)
    watch = stub.WatchPaymentStatus(request, metadata=auth, timeout=60)
    first = await watch.read()
    assert isinstance(first, S.PaymentStatusUpdate)
    assert first.status == S.PAYMENT_STATUS_OPEN
    return watch


async def end_of(stream: StreamCall) -> grpc.aio.AioRpcError:
    """The failure `stream` ends with, after any messages still on their way (there must be
    one: a stream that ends OK fails the test)."""
    while True:
        try:
            message = await stream.read()
        except grpc.aio.AioRpcError as error:
            return error
        assert message is not grpc.aio.EOF, f"the stream ended {await stream.code()}"


def reason_of(error: grpc.aio.AioRpcError) -> str:
    reason: str = rich_details(error)["error_info"].reason
    return reason


def assert_shutting_down(error: grpc.aio.AioRpcError) -> None:
    """UNAVAILABLE `SHUTTING_DOWN` with a RetryInfo: the status of every call the drain ends or
    refuses."""
    details = rich_details(error)
    assert error.code() == grpc.StatusCode.UNAVAILABLE, error
    assert details["error_info"].reason == "SHUTTING_DOWN"
    assert details["retry_info"].retry_delay.ToTimedelta().total_seconds() > 0
