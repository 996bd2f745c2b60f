"""A caller of the payments service using only the `payments-api` wheel (clients/python/).

    python examples/client.py --target 127.0.0.1:50051 --api-key "$API_KEY"

Creates a customer and a product, opens a checkout page and asks for the payment's status. Every
call carries the API key, a deadline and (for writes) a request_id, so a retry cannot create a
second object; errors are handled by their google.rpc.ErrorInfo `reason`, never by message text.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from payments.v1 import payments_pb2, payments_pb2_grpc

DEADLINE_SECONDS = 10.0
T = TypeVar("T")


def error_details(error: grpc.RpcError) -> tuple[str, dict[str, str], float | None]:
    """(ErrorInfo reason, its metadata, RetryInfo delay in seconds or None) of a failed call."""
    status = rpc_status.from_call(error)
    reason, metadata, retry_after = "", {}, None
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            retry_after = retry.retry_delay.ToTimedelta().total_seconds()
    return reason, metadata, retry_after


def with_retry(call: Callable[[], T], attempts: int = 3) -> T:
    """Retries only what the service says a retry can cure (a RetryInfo), after its delay."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except grpc.RpcError as error:
            _, _, retry_after = error_details(error)
            if retry_after is None or attempt == attempts:
                raise
            time.sleep(retry_after)
    raise AssertionError("unreachable")


def run(target: str, api_key: str, sku: str) -> int:
    metadata = (("x-api-key", api_key),)
    with grpc.insecure_channel(target) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)

        # One request_id per request, reused by every retry of it: that is what makes a retry
        # after a lost answer return the first result instead of creating a second customer.
        new_customer = payments_pb2.CreateCustomerRequest(
            email="jane.doe@example.com", name="Jane Doe", request_id=str(uuid.uuid4())
        )
        customer = with_retry(
            lambda: stub.CreateCustomer(new_customer, metadata=metadata, timeout=DEADLINE_SECONDS)
        ).customer
        print(f"customer {customer.id}")

        new_product = payments_pb2.CreateProductRequest(
            name="T-shirt",
            unit_amount=2500,
            currency="usd",
            external_product_id=sku,
            request_id=str(uuid.uuid4()),
        )
        try:
            product = with_retry(
                lambda: stub.CreateProduct(new_product, metadata=metadata, timeout=DEADLINE_SECONDS)
            ).product
        except grpc.RpcError as error:
            reason, details, _ = error_details(error)
            if reason != "EXTERNAL_PRODUCT_ID_TAKEN":
                raise
            # Created before (by an earlier run): use the product that has our SKU.
            print(f"product exists: {details['product_id']}")
            product = stub.GetProduct(
                payments_pb2.GetProductRequest(external_product_id=sku),
                metadata=metadata,
                timeout=DEADLINE_SECONDS,
            ).product
        print(f"product {product.id} price {product.unit_amount} {product.currency}")

        new_checkout = payments_pb2.CreateCheckoutRequest(
            product_id=product.id,
            customer_id=customer.id,
            quantity=2,
            request_id=str(uuid.uuid4()),
        )
        checkout = with_retry(
            lambda: stub.CreateCheckout(new_checkout, metadata=metadata, timeout=DEADLINE_SECONDS)
        )
        print(f"checkout {checkout.checkout_session_id} {checkout.url}")

        report = stub.GetPaymentStatus(
            payments_pb2.GetPaymentStatusRequest(id=checkout.checkout_session_id),
            metadata=metadata,
            timeout=DEADLINE_SECONDS,
        )
        print(f"status {payments_pb2.PaymentStatus.Name(report.status)}")

        try:
            stub.GetProduct(
                payments_pb2.GetProductRequest(product_id="prod_does_not_exist"),
                metadata=metadata,
                timeout=DEADLINE_SECONDS,
            )
        except grpc.RpcError as error:
            reason, details, _ = error_details(error)
            if reason != "PRODUCT_NOT_FOUND":
                raise
            print(f"no such product: {details['product_id']} ({reason})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Walk through the payments API.")
    parser.add_argument("--target", default=os.environ.get("PAYMENTS_ADDR", "127.0.0.1:50051"))
    parser.add_argument("--api-key", default=os.environ.get("PAYMENTS_API_KEY", ""))
    parser.add_argument("--sku", default="SKU-EXAMPLE-TSHIRT")
    args = parser.parse_args()
    try:
        return run(args.target, args.api_key, args.sku)
    except grpc.RpcError as error:
        reason, _, _ = error_details(error)
        if reason in ("API_KEY_MISSING", "API_KEY_INVALID"):
            print(f"the service refused the API key ({reason}): pass --api-key", file=sys.stderr)
            return 2
        code = error.code() if isinstance(error, grpc.Call) else None
        print(f"call failed: {code} {reason or '-'}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
