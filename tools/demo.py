"""`make demo`: the whole payment flow through the generated client, printing each step.

Starts the Stripe emulator and the service on loopback (or, with STRIPE_SECRET_KEY=sk_test_…
in the environment, the service alone against real Stripe test mode), then: create a customer →
create a product → open a checkout → status OPEN → the customer pays → status SUCCEEDED, by the
session id and by the PaymentIntent id. Stops both at the end, whatever happened.
"""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid

import grpc
from grpc_status import rpc_status

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.processes import StartError
from tools.stack import pay_in_emulator, running_stack

DEMO_API_KEY = "demo-key-" + uuid.uuid4().hex


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def show(label: str, value: object) -> None:
    print(f"    {label:<22} {value}", flush=True)


def run_flow(
    stub: payments_pb2_grpc.PaymentServiceStub, emulator_url: str | None, http_address: str | None
) -> None:
    metadata = (("x-api-key", DEMO_API_KEY),)
    suffix = uuid.uuid4().hex[:8]

    step("CreateCustomer")
    customer = stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(
            email=f"ada.{suffix}@example.com", name="Ada Lovelace", request_id=str(uuid.uuid4())
        ),
        metadata=metadata,
        timeout=10,
    ).customer
    show("customer", f"{customer.id} <{customer.email}>")

    step("CreateProduct")
    product = stub.CreateProduct(
        payments_pb2.CreateProductRequest(
            name="Analytical Engine manual",
            description="A first edition, in print.",
            unit_amount=4200,
            currency="usd",
            external_product_id=f"demo-sku-{suffix}",
            request_id=str(uuid.uuid4()),
        ),
        metadata=metadata,
        timeout=10,
    ).product
    show("product", f"{product.id} ({product.external_product_id})")
    show("price", f"{product.price_id}: {product.unit_amount} {product.currency}")

    step("CreateCheckout")
    checkout = stub.CreateCheckout(
        payments_pb2.CreateCheckoutRequest(
            product_id=product.id, customer_id=customer.id, quantity=2, request_id=str(uuid.uuid4())
        ),
        metadata=metadata,
        timeout=10,
    )
    show("session", checkout.checkout_session_id)
    # The emulator's page goes when the demo stops: no link to it (make run keeps one open).
    show(
        "checkout page", checkout.url if emulator_url is None else "on the emulator, until the end"
    )
    show("total", f"{checkout.amount_total} {checkout.currency}")

    status = get_status(stub, checkout.checkout_session_id, metadata)
    expect(status, payments_pb2.PAYMENT_STATUS_OPEN)

    if emulator_url is None:
        step(f"Pay on {checkout.url} with the test card 4242 4242 4242 4242, then ask again")
        return
    step("The customer pays (emulator)")
    pay_in_emulator(emulator_url, checkout.checkout_session_id)

    status = get_status(stub, checkout.checkout_session_id, metadata)
    expect(status, payments_pb2.PAYMENT_STATUS_SUCCEEDED)
    by_intent = get_status(stub, status.payment_intent_id, metadata)
    expect(by_intent, payments_pb2.PAYMENT_STATUS_SUCCEEDED)
    if http_address:
        status_over_http(http_address, status.payment_intent_id)


def status_over_http(http_address: str, payment_id: str) -> None:
    """The same RPC through the HTTP/JSON door: GET /v1/payments/{id}."""
    step(f"GET /v1/payments/{payment_id} on the HTTP/JSON door ({http_address})")
    request = urllib.request.Request(
        f"http://{http_address}/v1/payments/{payment_id}", headers={"x-api-key": DEMO_API_KEY}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    show("HTTP status", response.status)
    show("status", body["status"])
    if body["status"] != "PAYMENT_STATUS_SUCCEEDED":
        raise SystemExit(f"demo failed: HTTP door says {body['status']}")


def get_status(
    stub: payments_pb2_grpc.PaymentServiceStub,
    payment_id: str,
    metadata: tuple[tuple[str, str], ...],
) -> payments_pb2.GetPaymentStatusResponse:
    step(f"GetPaymentStatus {payment_id}")
    status = stub.GetPaymentStatus(
        payments_pb2.GetPaymentStatusRequest(id=payment_id), metadata=metadata, timeout=10
    )
    show("status", payments_pb2.PaymentStatus.Name(status.status))
    show("stripe status", f"{status.stripe_status} / {status.stripe_payment_status or '-'}")
    if status.payment_intent_id:
        show("payment intent", status.payment_intent_id)
    return status


def expect(
    status: payments_pb2.GetPaymentStatusResponse, wanted: payments_pb2.PaymentStatus.ValueType
) -> None:
    if status.status != wanted:
        got = payments_pb2.PaymentStatus.Name(status.status)
        raise SystemExit(
            f"demo failed: expected {payments_pb2.PaymentStatus.Name(wanted)}, got {got}"
        )


def main() -> int:
    try:
        return run_demo()
    except StartError as error:  # the child said why on stderr, above
        print(f"demo failed: {error}", file=sys.stderr)
        return 1


def run_demo() -> int:
    with running_stack(
        api_key=DEMO_API_KEY, grpc_addr="127.0.0.1:0", http_addr="127.0.0.1:0", say=step
    ) as stack:
        show("gRPC", stack.grpc_address)
        show("HTTP/JSON", stack.http_address)
        show("Stripe", "the emulator" if stack.emulator_url else "api.stripe.com (test mode)")
        with grpc.insecure_channel(stack.grpc_address) as channel:
            try:
                run_flow(
                    payments_pb2_grpc.PaymentServiceStub(channel),
                    stack.emulator_url,
                    stack.http_address,
                )
            except grpc.RpcError as error:
                print(f"demo failed: {describe_error(error)}", file=sys.stderr)
                return 1
    step("Done: OPEN → SUCCEEDED, by session and by PaymentIntent")
    print("    `make run` keeps the service up, with a checkout page to open in a browser.")
    return 0


def describe_error(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    return f"{status}" if status else str(error)


if __name__ == "__main__":
    sys.exit(main())
