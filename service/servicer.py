"""The gRPC servicer: thin. Each method maps the request to a command, runs the use case with the
current CallContext and maps the result back. Errors propagate to the error interceptor.

`context` is never used: everything comes from the `call_context.current_call` ContextVar, so the
HTTP gateway can call these methods with any stand-in (even None).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import use_cases
from payments.v1 import payments_pb2, payments_pb2_grpc
from service import mapping
from service.call_context import require_current_call


@dataclass(frozen=True, slots=True)
class UseCases:
    """One use case per RPC, built by the composition root."""

    create_customer: use_cases.CreateCustomer
    create_product: use_cases.CreateProduct
    get_product: use_cases.GetProduct
    create_checkout: use_cases.CreateCheckout
    get_payment_status: use_cases.GetPaymentStatus


class PaymentServicer(payments_pb2_grpc.PaymentServiceServicer):
    def __init__(self, use_cases: UseCases) -> None:
        self._use_cases = use_cases

    async def CreateCustomer(  # noqa: N802 (the generated base class names them)
        self, request: payments_pb2.CreateCustomerRequest, context: object
    ) -> payments_pb2.CreateCustomerResponse:
        command = mapping.create_customer_command(request)
        customer = await self._use_cases.create_customer(command, require_current_call())
        return payments_pb2.CreateCustomerResponse(customer=mapping.customer_message(customer))

    async def CreateProduct(  # noqa: N802 (the generated base class names them)
        self, request: payments_pb2.CreateProductRequest, context: object
    ) -> payments_pb2.CreateProductResponse:
        command = mapping.create_product_command(request)
        product = await self._use_cases.create_product(command, require_current_call())
        return payments_pb2.CreateProductResponse(product=mapping.product_message(product))

    async def GetProduct(  # noqa: N802 (the generated base class names them)
        self, request: payments_pb2.GetProductRequest, context: object
    ) -> payments_pb2.GetProductResponse:
        lookup = mapping.product_lookup(request)
        product = await self._use_cases.get_product(lookup, require_current_call())
        return payments_pb2.GetProductResponse(product=mapping.product_message(product))

    async def CreateCheckout(  # noqa: N802 (the generated base class names them)
        self, request: payments_pb2.CreateCheckoutRequest, context: object
    ) -> payments_pb2.CreateCheckoutResponse:
        command = mapping.create_checkout_command(request)
        session = await self._use_cases.create_checkout(command, require_current_call())
        return mapping.checkout_response(session)

    async def GetPaymentStatus(  # noqa: N802 (the generated base class names them)
        self, request: payments_pb2.GetPaymentStatusRequest, context: object
    ) -> payments_pb2.GetPaymentStatusResponse:
        report = await self._use_cases.get_payment_status(request.id, require_current_call())
        return mapping.payment_status_response(report)
