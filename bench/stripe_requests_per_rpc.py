"""How many Stripe requests each unary RPC makes: one call of each, in turn, on a quiet service,
counted by the emulator (`/_emulator/stats`, every `/v1` route).

Used by bench/stripe_path_benchmarks.py on its stack. The service must make no Stripe request
of its own meanwhile (no webhook intake, the reconciler's interval longer than the run).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
from benchlib import http_json

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.stack import pay_in_emulator

CALL_TIMEOUT = 10.0


@dataclass(frozen=True)
class RpcRequests:
    rpc: str
    requests: int
    target: int
    why: str

    @property
    def passed(self) -> bool:
        return self.requests <= self.target


def stripe_requests(emulator_url: str) -> int:
    """Every `/v1` request the emulator has served (its routes are keyed "GET /v1/…")."""
    stats = http_json(f"{emulator_url}/_emulator/stats")
    assert isinstance(stats, dict)
    return sum(n for route, n in stats["requests"].items() if route.split(" ")[1][:4] == "/v1/")


class Counter:
    """Runs RPCs and notes the Stripe requests each made."""

    def __init__(self, emulator_url: str) -> None:
        self.emulator_url = emulator_url
        self.counted: list[RpcRequests] = []

    @contextmanager
    def rpc(self, name: str, target: int, why: str) -> Iterator[None]:
        before = stripe_requests(self.emulator_url)
        yield
        made = stripe_requests(self.emulator_url) - before
        self.counted.append(RpcRequests(name, made, target, why))


def count_requests_per_rpc(grpc_target: str, emulator_url: str, api_key: str) -> list[RpcRequests]:
    counter = Counter(emulator_url)
    with grpc.insecure_channel(grpc_target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        call = caller(api_key)
        customer_id, product_id = _catalogue(counter, stub, call)
        session_id = _checkout(counter, stub, call, customer_id, product_id)
        _status(counter, stub, call, session_id)
        _reads_from_ledger(counter, stub, call, customer_id)
    return counter.counted


Call = Callable[..., object]


def caller(api_key: str) -> Callable[[Call, object], object]:
    def call(method: Call, request: object) -> object:
        return method(request, metadata=(("x-api-key", api_key),), timeout=CALL_TIMEOUT)

    return call


def _catalogue(
    counter: Counter, stub: payments_pb2_grpc.PaymentServiceStub, call: Callable[..., object]
) -> tuple[str, str]:
    external_id = f"requests-{uuid.uuid4().hex[:12]}"
    with counter.rpc("CreateCustomer", 1, "one customer create"):
        customer = call(
            stub.CreateCustomer,
            payments_pb2.CreateCustomerRequest(email="count@example.com", name="Count"),
        )
    with counter.rpc("CreateProduct", 1, "the product and its price in one create"):
        product = call(
            stub.CreateProduct,
            payments_pb2.CreateProductRequest(
                name="Count", unit_amount=500, currency="usd", external_product_id=external_id
            ),
        )
    assert isinstance(customer, payments_pb2.CreateCustomerResponse)
    assert isinstance(product, payments_pb2.CreateProductResponse)
    with counter.rpc("GetProduct by id", 1, "one read, its price expanded"):
        call(stub.GetProduct, payments_pb2.GetProductRequest(product_id=product.product.id))
    with counter.rpc("GetProduct by external_product_id", 1, "one read of the derived id"):
        call(stub.GetProduct, payments_pb2.GetProductRequest(external_product_id=external_id))
    return customer.customer.id, product.product.id


def _checkout(
    counter: Counter,
    stub: payments_pb2_grpc.PaymentServiceStub,
    call: Callable[..., object],
    customer_id: str,
    product_id: str,
) -> str:
    request = payments_pb2.CreateCheckoutRequest(product_id=product_id, customer_id=customer_id)
    why = "the session create alone: the product is known (created and read just before)"
    with counter.rpc("CreateCheckout of a known product", 1, why):
        created = call(stub.CreateCheckout, request)
    other = call(stub.CreateCheckout, request)  # one to expire, not counted
    assert isinstance(created, payments_pb2.CreateCheckoutResponse)
    assert isinstance(other, payments_pb2.CreateCheckoutResponse)
    with counter.rpc("ExpireCheckout", 1, "one expire"):
        call(
            stub.ExpireCheckout,
            payments_pb2.ExpireCheckoutRequest(checkout_session_id=other.checkout_session_id),
        )
    return str(created.checkout_session_id)


def _status(
    counter: Counter,
    stub: payments_pb2_grpc.PaymentServiceStub,
    call: Callable[..., object],
    session_id: str,
) -> None:
    request = payments_pb2.GetPaymentStatusRequest(id=session_id)
    with counter.rpc("GetPaymentStatus, not final", 1, "one session read"):
        call(stub.GetPaymentStatus, request)
    pay_in_emulator(counter.emulator_url, session_id, timeout=CALL_TIMEOUT)
    with counter.rpc("GetPaymentStatus, just paid", 1, "one session read, then recorded"):
        call(stub.GetPaymentStatus, request)
    with counter.rpc("GetPaymentStatus, final in the ledger", 0, "the ledger alone"):
        answer = call(stub.GetPaymentStatus, request)
    assert isinstance(answer, payments_pb2.GetPaymentStatusResponse)
    if answer.status != payments_pb2.PAYMENT_STATUS_SUCCEEDED:
        raise RuntimeError(f"the paid checkout reads as {answer}")


def _reads_from_ledger(
    counter: Counter,
    stub: payments_pb2_grpc.PaymentServiceStub,
    call: Callable[..., object],
    customer_id: str,
) -> None:
    with counter.rpc("ListPayments", 0, "the ledger alone"):
        call(stub.ListPayments, payments_pb2.ListPaymentsRequest(customer_id=customer_id))
    with counter.rpc("ListPaymentEvents", 0, "the ledger alone"):
        call(stub.ListPaymentEvents, payments_pb2.ListPaymentEventsRequest())


def rpc_rows(counted: list[RpcRequests]) -> list[str]:
    rows = [
        "| RPC | Stripe requests | target | why | result |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for row in counted:
        result = "PASS" if row.passed else "**FAIL**"
        rows.append(f"| {row.rpc} | {row.requests} | {row.target} | {row.why} | {result} |")
    return rows
