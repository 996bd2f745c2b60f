"""`make demo`: the whole payment flow through the generated client, printing each step.

Starts the Stripe emulator and the service on loopback, the emulator delivering its events to
the service's webhook route and the service keeping a fresh ledger for the run (or, with
STRIPE_SECRET_KEY=sk_test_… in the environment, the service alone against real Stripe test
mode), then: create a customer → a product → a checkout for an order → status OPEN → a
WatchPaymentStatus stream opened on it → the customer pays → the watcher is told SUCCEEDED the
moment the webhook lands (each update shown with how long after the payment it came) → status
SUCCEEDED from the ledger with no Stripe call (the emulator's request count says so) → the
order's payments → a second order's checkout expired.
Stops both at the end, whatever happened.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import grpc
from grpc_status import rpc_status

from payments.v1 import payments_pb2, payments_pb2_grpc
from tools.emulator_watch import NotDelivered, delivered, stripe_calls
from tools.processes import StartError
from tools.stack import pay_in_emulator, running_stack
from tools.status_watch import StatusWatch

DEMO_API_KEY = "demo-key-" + uuid.uuid4().hex
METADATA = (("x-api-key", DEMO_API_KEY),)
WEBHOOK_WAIT_SECONDS = 10.0
Stub = payments_pb2_grpc.PaymentServiceStub


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def show(label: str, value: object) -> None:
    print(f"    {label:<22} {value}", flush=True)


def run_flow(stub: Stub, emulator_url: str | None, http_address: str | None) -> str:
    """The flow; what it showed, for the last line."""
    customer, product = create_customer_and_product(stub)
    order = f"order-{uuid.uuid4().hex[:8]}"
    checkout = create_checkout(stub, customer, product, order)
    # The emulator's page goes when the demo stops: no link to it (make run keeps one open).
    page = checkout.url if emulator_url is None else "on the emulator, until the end"
    show("checkout page", page)
    show("total", f"{checkout.amount_total} {checkout.currency}")
    expect(get_status(stub, checkout.checkout_session_id), payments_pb2.PAYMENT_STATUS_OPEN)

    if emulator_url is None:
        step(f"Pay on {checkout.url} with the test card 4242 4242 4242 4242, then ask again")
        paid = "a checkout OPEN, to pay in a browser"
    else:
        pay_and_read_from_ledger(stub, emulator_url, checkout.checkout_session_id, http_address)
        paid = "paid → webhook → SUCCEEDED from the ledger, 0 Stripe calls; a watcher told at once"
    list_order(stub, order, checkout.checkout_session_id)
    cancel_another_order(stub, customer, product)
    return f"{paid}; ListPayments; ExpireCheckout"


def create_customer_and_product(stub: Stub) -> tuple[payments_pb2.Customer, payments_pb2.Product]:
    suffix = uuid.uuid4().hex[:8]
    step("CreateCustomer")
    customer = stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(
            email=f"ada.{suffix}@example.com", name="Ada Lovelace", request_id=str(uuid.uuid4())
        ),
        metadata=METADATA,
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
        metadata=METADATA,
        timeout=10,
    ).product
    show("product", f"{product.id} ({product.external_product_id})")
    show("price", f"{product.price_id}: {product.unit_amount} {product.currency}")
    return customer, product


def create_checkout(
    stub: Stub, customer: payments_pb2.Customer, product: payments_pb2.Product, order: str
) -> payments_pb2.CreateCheckoutResponse:
    step(f"CreateCheckout for order {order}")
    checkout: payments_pb2.CreateCheckoutResponse = stub.CreateCheckout(
        payments_pb2.CreateCheckoutRequest(
            product_id=product.id,
            customer_id=customer.id,
            quantity=2,
            client_reference_id=order,
            request_id=str(uuid.uuid4()),
        ),
        metadata=METADATA,
        timeout=10,
    )
    show("session", checkout.checkout_session_id)
    return checkout


def pay_and_read_from_ledger(
    stub: Stub, emulator_url: str, session_id: str, http_address: str | None
) -> None:
    step(f"WatchPaymentStatus {session_id}: a watcher, told of each change")
    watch = StatusWatch(stub, session_id, METADATA, timeout=WEBHOOK_WAIT_SECONDS * 3)
    try:
        paid_at = pay_while_watching(watch, emulator_url, session_id)
        step("The watcher is told, the moment the webhook lands")
        arrivals = watch.updates(within=WEBHOOK_WAIT_SECONDS)
        updates = [show_update(update, arrived - paid_at) for arrived, update in arrivals]
    finally:
        watch.close()
    show("stream", "ended OK after the final status")
    if updates[-1:] != [payments_pb2.PAYMENT_STATUS_SUCCEEDED]:
        raise SystemExit(f"demo failed: the watcher was told {updates}, not SUCCEEDED last")
    read_from_ledger(stub, emulator_url, session_id, http_address)


def pay_while_watching(watch: StatusWatch, emulator_url: str, session_id: str) -> float:
    """Shows the watcher's first update (the status as it stands), then pays; the time.monotonic()
    of the payment."""
    _, first = next(watch.updates(within=WEBHOOK_WAIT_SECONDS))
    show("update", f"{payments_pb2.PaymentStatus.Name(first.status)} (as it stands)")
    step("The customer pays (emulator)")
    paid_at = time.monotonic()
    pay_in_emulator(emulator_url, session_id)
    return paid_at


def show_update(
    update: payments_pb2.PaymentStatusUpdate, after_seconds: float
) -> payments_pb2.PaymentStatus.ValueType:
    status = payments_pb2.PaymentStatus.Name(update.status)
    show("update", f"{status}, {after_seconds * 1000:.0f} ms after the payment")
    return update.status


def read_from_ledger(
    stub: Stub, emulator_url: str, session_id: str, http_address: str | None
) -> None:
    step("The webhook arrives")
    delivery = delivered(
        emulator_url, session_id, "checkout.session.completed", within=WEBHOOK_WAIT_SECONDS
    )
    show("event", f"{delivery.event_id} {delivery.event_type}")
    show("POST /stripe/webhooks", f"{delivery.status} (attempt {delivery.attempt})")

    before = stripe_calls(emulator_url)
    status = get_status(stub, session_id)
    after = stripe_calls(emulator_url)
    expect(status, payments_pb2.PAYMENT_STATUS_SUCCEEDED)
    calls = after - before
    show("Stripe calls", f"{calls}: from the ledger (emulator requests {before} → {after})")
    if calls:
        raise SystemExit(f"demo failed: the status read made {calls} Stripe calls")
    if http_address:
        status_over_http(http_address, status.payment_intent_id)


def status_over_http(http_address: str, payment_id: str) -> None:
    """The same RPC through the HTTP/JSON door, by the PaymentIntent's id: GET /v1/payments/{id}."""
    step(f"GET /v1/payments/{payment_id} on the HTTP/JSON door")
    request = urllib.request.Request(
        f"http://{http_address}/v1/payments/{payment_id}", headers={"x-api-key": DEMO_API_KEY}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    show("HTTP status", response.status)
    show("status", body["status"])
    if body["status"] != "PAYMENT_STATUS_SUCCEEDED":
        raise SystemExit(f"demo failed: HTTP door says {body['status']}")


def list_order(stub: Stub, order: str, session_id: str) -> None:
    step(f"ListPayments client_reference_id={order}")
    listed = stub.ListPayments(
        payments_pb2.ListPaymentsRequest(client_reference_id=order), metadata=METADATA, timeout=10
    )
    for payment in listed.payments:
        status = payments_pb2.PaymentStatus.Name(payment.status)
        show("payment", f"{status}, {payment.amount_total} {payment.currency}, the session above")
    if [payment.id for payment in listed.payments] != [session_id]:
        raise SystemExit(f"demo failed: {order} lists {list(listed.payments)}, not {session_id}")


def cancel_another_order(
    stub: Stub, customer: payments_pb2.Customer, product: payments_pb2.Product
) -> None:
    checkout = create_checkout(stub, customer, product, f"order-{uuid.uuid4().hex[:8]}")
    step("ExpireCheckout: the order was cancelled")
    payment = stub.ExpireCheckout(
        payments_pb2.ExpireCheckoutRequest(
            checkout_session_id=checkout.checkout_session_id, request_id=str(uuid.uuid4())
        ),
        metadata=METADATA,
        timeout=10,
    ).payment
    show("status", payments_pb2.PaymentStatus.Name(payment.status))
    show("stripe status", f"{payment.stripe_status} / {payment.stripe_payment_status}")
    if payment.status != payments_pb2.PAYMENT_STATUS_EXPIRED:
        raise SystemExit("demo failed: the expired checkout is not EXPIRED")


def get_status(stub: Stub, payment_id: str) -> payments_pb2.GetPaymentStatusResponse:
    step(f"GetPaymentStatus {payment_id}")
    status: payments_pb2.GetPaymentStatusResponse = stub.GetPaymentStatus(
        payments_pb2.GetPaymentStatusRequest(id=payment_id), metadata=METADATA, timeout=10
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
    # A fresh ledger each run, gone with the demo: the emulator starts empty too.
    with (
        tempfile.TemporaryDirectory(prefix="payments-demo-") as data_dir,
        running_stack(
            api_key=DEMO_API_KEY,
            grpc_addr="127.0.0.1:0",
            http_addr="127.0.0.1:0",
            say=step,
            data_dir=Path(data_dir),
        ) as stack,
    ):
        show("gRPC", stack.grpc_address)
        show("HTTP/JSON", stack.http_address)
        show("Stripe", "the emulator" if stack.emulator_url else "api.stripe.com (test mode)")
        if stack.webhook_url:
            show("webhooks", "the emulator delivers every event to POST /stripe/webhooks")
        show("ledger", "a fresh SQLite file, deleted at the end")
        with grpc.insecure_channel(stack.grpc_address) as channel:
            try:
                done = run_flow(Stub(channel), stack.emulator_url, stack.http_address)
            except grpc.RpcError as error:
                print(f"demo failed: {describe_error(error)}", file=sys.stderr)
                return 1
            except NotDelivered as error:
                print(f"demo failed: {error}", file=sys.stderr)
                return 1
    step(f"Done: {done}")
    print("    `make run` keeps the service up, with a checkout page to open in a browser.")
    return 0


def describe_error(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    return f"{status}" if status else str(error)


if __name__ == "__main__":
    sys.exit(main())
