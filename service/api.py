"""The payment API, transport-free: each RPC takes its request message and the call's context
and returns its response message. Both doors serve it through the call gate, errors and all."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message

from domain import use_cases
from domain.call import CallContext
from payments.v1 import payments_pb2
from service import mapping

PAYMENT_SERVICE: ServiceDescriptor = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]

Handler = Callable[[Any, CallContext], Awaitable[Message]]
StreamHandler = Callable[[Any, CallContext], AsyncIterator[Message]]


@dataclass(frozen=True, slots=True)
class UseCases:
    """One use case per RPC, built by the composition root."""

    create_customer: use_cases.CreateCustomer
    create_product: use_cases.CreateProduct
    get_product: use_cases.GetProduct
    create_checkout: use_cases.CreateCheckout
    get_payment_status: use_cases.GetPaymentStatus
    expire_checkout: use_cases.ExpireCheckout
    list_payments: use_cases.ListPayments
    list_payment_events: use_cases.ListPaymentEvents
    watch_payment_status: use_cases.WatchPaymentStatus
    watch_payment_events: use_cases.WatchPaymentEvents


@dataclass(frozen=True, slots=True)
class Rpc:
    """One method of the service: what the doors need to serve it."""

    method: MethodDescriptor
    handler: Handler | StreamHandler  # a StreamHandler for a server-streaming method

    @property
    def streaming(self) -> bool:
        return bool(self.method.server_streaming)

    @property
    def unary_handler(self) -> Handler:
        if self.streaming:
            raise TypeError(f"{self.path} is a streaming method")
        return cast(Handler, self.handler)

    @property
    def stream_handler(self) -> StreamHandler:
        if not self.streaming:
            raise TypeError(f"{self.path} is not a streaming method")
        return cast(StreamHandler, self.handler)

    @property
    def path(self) -> str:
        """`/payments.v1.PaymentService/CreateCustomer`, as gRPC names it (and the log)."""
        return f"/{self.method.containing_service.full_name}/{self.method.name}"


class PaymentApi:
    """One method per RPC, named as in the proto."""

    def __init__(self, use_cases: UseCases) -> None:
        self._use_cases = use_cases

    def rpcs(self) -> tuple[Rpc, ...]:
        """Every RPC of PaymentService with its handler; one the API lacks fails at start-up."""
        return tuple(Rpc(method, getattr(self, method.name)) for method in PAYMENT_SERVICE.methods)

    async def CreateCustomer(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.CreateCustomerRequest, call: CallContext
    ) -> payments_pb2.CreateCustomerResponse:
        command = mapping.command_from(request, use_cases.CreateCustomerCommand)
        customer = await self._use_cases.create_customer(command, call)
        return payments_pb2.CreateCustomerResponse(customer=mapping.customer_message(customer))

    async def CreateProduct(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.CreateProductRequest, call: CallContext
    ) -> payments_pb2.CreateProductResponse:
        command = mapping.command_from(request, use_cases.CreateProductCommand)
        product = await self._use_cases.create_product(command, call)
        return payments_pb2.CreateProductResponse(product=mapping.product_message(product))

    async def GetProduct(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.GetProductRequest, call: CallContext
    ) -> payments_pb2.GetProductResponse:
        product = await self._use_cases.get_product(mapping.product_lookup(request), call)
        return payments_pb2.GetProductResponse(product=mapping.product_message(product))

    async def CreateCheckout(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.CreateCheckoutRequest, call: CallContext
    ) -> payments_pb2.CreateCheckoutResponse:
        command = mapping.command_from(request, use_cases.CreateCheckoutCommand)
        session = await self._use_cases.create_checkout(command, call)
        return mapping.checkout_response(session, request.client_reference_id)

    async def GetPaymentStatus(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.GetPaymentStatusRequest, call: CallContext
    ) -> payments_pb2.GetPaymentStatusResponse:
        payment = await self._use_cases.get_payment_status(request.id, call)
        return mapping.payment_status_response(payment)

    async def ExpireCheckout(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.ExpireCheckoutRequest, call: CallContext
    ) -> payments_pb2.ExpireCheckoutResponse:
        payment = await self._use_cases.expire_checkout(request.checkout_session_id, call)
        return payments_pb2.ExpireCheckoutResponse(payment=mapping.payment_message(payment))

    async def ListPayments(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.ListPaymentsRequest, call: CallContext
    ) -> payments_pb2.ListPaymentsResponse:
        command = mapping.command_from(request, use_cases.ListPaymentsCommand)
        page = await self._use_cases.list_payments(command, call)
        return mapping.payments_response(page)

    async def ListPaymentEvents(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.ListPaymentEventsRequest, call: CallContext
    ) -> payments_pb2.ListPaymentEventsResponse:
        command = mapping.payment_events_command(request)
        page = await self._use_cases.list_payment_events(command, call)
        return mapping.payment_events_response(page)

    async def WatchPaymentStatus(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.WatchPaymentStatusRequest, call: CallContext
    ) -> AsyncIterator[payments_pb2.PaymentStatusUpdate]:
        async for snapshot in self._use_cases.watch_payment_status(request.id, call):
            yield mapping.payment_status_update(snapshot)

    async def WatchPaymentEvents(  # noqa: N802 (named as the RPC)
        self, request: payments_pb2.WatchPaymentEventsRequest, call: CallContext
    ) -> AsyncIterator[payments_pb2.WatchPaymentEventsResponse]:
        command = mapping.payment_events_command(request)
        async for batch in self._use_cases.watch_payment_events(command, call):
            yield mapping.watch_payment_events_response(batch)
