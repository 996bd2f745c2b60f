"""Every row of docs/errors.md that a gateway or the gate can produce, on both doors, over a fake
gateway: the same code, reason, domain, documented metadata keys and RetryInfo through gRPC and
HTTP, and grpc-gateway's HTTP status. (The HTTP door's own rows are in test_errors.py; the same
rows provoked from the real emulator are tests/e2e/test_error_table.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest

from domain import errors
from domain.call import Deadline
from domain.payment_status import PaymentSnapshot
from payments.v1 import payments_pb2
from service.composition import Service
from service.errors import HTTP_STATUS_BY_CODE
from tests.conftest import API_KEY, Stub, rich_details
from tests.fake_gateway import FakeGateway

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
ROW = re.compile(r"^\| ([A-Z_]+) \| `([A-Z_]+)` \| (.*) \| (.*) \| (.*) \|$", re.MULTILINE)
STRIPE = errors.ProviderContext(request_id="req_1", error_code="some_code", param="email")

# reason → the domain error a gateway raises for it (the provider's context where Stripe gives one)
FROM_THE_GATEWAY: dict[str, errors.DomainError] = {
    "VALIDATION_FAILED": errors.InvalidInput([errors.Violation("id", "is not a payment id")]),
    "STRIPE_INVALID_REQUEST": errors.ProviderRejected("refused", provider=STRIPE),
    "CUSTOMER_NOT_FOUND": errors.NotFound("customer", "cus_1", provider=STRIPE),
    "PRODUCT_NOT_FOUND": errors.NotFound("product", "prod_1", provider=STRIPE),
    "CHECKOUT_SESSION_NOT_FOUND": errors.NotFound("checkout_session", "cs_1", provider=STRIPE),
    "PAYMENT_INTENT_NOT_FOUND": errors.NotFound("payment_intent", "pi_1", provider=STRIPE),
    "EXTERNAL_PRODUCT_ID_TAKEN": errors.ExternalProductIdTaken("sku", "prod_1"),
    "REQUEST_ID_REUSED": errors.RequestIdReused("CreateCustomer", "r-1"),
    "PRODUCT_NOT_PURCHASABLE": errors.ProductNotPurchasable("prod_1", "it is archived"),
    "CHECKOUT_NOT_OPEN": errors.CheckoutNotOpen("cs_1", "it is paid"),
    "CURSOR_EXPIRED": errors.CursorExpired("0400000000000G0"),
    "LEDGER_UNAVAILABLE": errors.LedgerUnavailable("database down", retry_after_seconds=1),
    "REQUEST_IN_PROGRESS": errors.RequestConflict("busy", retry_after_seconds=1),
    "STRIPE_RATE_LIMITED": errors.RateLimited("slow", retry_after_seconds=2, provider=STRIPE),
    "STRIPE_UNAVAILABLE": errors.ProviderUnavailable(
        "down", retry_after_seconds=1, provider=STRIPE
    ),
    "STRIPE_AUTHENTICATION_FAILED": errors.ProviderMisconfigured("sk_test_…42", provider=STRIPE),
    "DEADLINE_EXCEEDED": errors.DeadlineExceeded("late"),
}
STRIPE_KEYS = {"stripe_request_id", "stripe_error_code", "stripe_param"}


def doc_rows() -> dict[str, tuple[str, str, frozenset[str]]]:
    """reason → (gRPC code, retry column, documented metadata keys)."""
    return {
        reason: (code, retry, frozenset(re.findall(r"`([a-z_]+)`", keys)))
        for code, reason, _when, retry, keys in ROW.findall(DOC.read_text())
    }


class FailingGateway(FakeGateway):
    """Reads a payment by failing with `error`."""

    error: Exception = RuntimeError("no error set")

    async def get_payment(self, payment_id: str, deadline: Deadline) -> PaymentSnapshot:
        raise self.error


@pytest.fixture
def gateway() -> FailingGateway:
    return FailingGateway()


async def over_grpc(stub: Stub, metadata: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    request = payments_pb2.GetPaymentStatusRequest(id="cs_test_1")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetPaymentStatus(request, metadata=metadata, timeout=5)
    details = rich_details(raised.value)
    return {
        "code": raised.value.code().name,
        "reason": details["error_info"].reason,
        "metadata": dict(details["error_info"].metadata),
        "retry": "retry_info" in details,
    }


async def over_http(service: Service, headers: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(
            f"http://{service.http_address}/v1/payments/cs_test_1", headers=headers
        ) as answer,
    ):
        body = await answer.json()
    info = next(d for d in body["details"] if d["@type"].endswith("ErrorInfo"))
    code = next(c for c in grpc.StatusCode if c.value[0] == body["code"])
    assert answer.status == HTTP_STATUS_BY_CODE[code]
    return {
        "code": code.name,
        "reason": info["reason"],
        "metadata": info.get("metadata", {}),
        "retry": any(d["@type"].endswith("RetryInfo") for d in body["details"]),
    }


def check_row(reason: str, outcome: dict[str, Any], from_stripe: bool) -> None:
    code, retry, keys = doc_rows()[reason]
    assert (outcome["code"], outcome["reason"]) == (code, reason)
    assert outcome["retry"] == ("RetryInfo" in retry)
    allowed = keys | (STRIPE_KEYS if from_stripe else set())
    assert set(outcome["metadata"]) <= allowed, outcome["metadata"]
    if keys - STRIPE_KEYS:  # ids named where the row names some (one of them, for NotFound)
        assert set(outcome["metadata"]) & (keys - STRIPE_KEYS), outcome["metadata"]


@pytest.mark.parametrize("door", ["grpc", "http"])
@pytest.mark.parametrize("reason", sorted(FROM_THE_GATEWAY))
async def test_a_gateway_error_is_its_documented_row_on_both_doors(
    reason: str, door: str, gateway: FailingGateway, service: Service, stub: Stub
) -> None:
    error = FROM_THE_GATEWAY[reason]
    gateway.error = error
    if door == "grpc":
        outcome = await over_grpc(stub, (("x-api-key", API_KEY),))
    else:
        outcome = await over_http(service, {"x-api-key": API_KEY})
    check_row(reason, outcome, from_stripe=error.provider.request_id is not None)


EDGE_ROWS: dict[str, Callable[[Service], dict[str, str]]] = {
    "API_KEY_MISSING": lambda service: {},
    "API_KEY_INVALID": lambda service: {"x-api-key": "not-" + API_KEY},
    "SHUTTING_DOWN": lambda service: (service.drain.begin(5) and {"x-api-key": API_KEY}) or {},
}


@pytest.mark.parametrize("door", ["grpc", "http"])
@pytest.mark.parametrize("reason", sorted(EDGE_ROWS))
async def test_a_gate_refusal_is_its_documented_row_on_both_doors(
    reason: str, door: str, gateway: FailingGateway, service: Service, stub: Stub
) -> None:
    headers = EDGE_ROWS[reason](service)
    if door == "grpc":
        outcome = await over_grpc(stub, tuple(headers.items()))
    else:
        outcome = await over_http(service, headers)
    check_row(reason, outcome, from_stripe=False)
    assert gateway.calls == []


@pytest.mark.parametrize("door", ["grpc", "http"])
async def test_an_unexpected_error_is_internal_with_a_reference(
    door: str, gateway: FailingGateway, service: Service, stub: Stub
) -> None:
    gateway.error = ZeroDivisionError("secret detail")
    if door == "grpc":
        outcome = await over_grpc(stub, (("x-api-key", API_KEY),))
    else:
        outcome = await over_http(service, {"x-api-key": API_KEY})
    check_row("INTERNAL", outcome, from_stripe=False)
    assert set(outcome["metadata"]) == {"reference"}


def test_every_row_a_gateway_or_the_gate_can_produce_is_here() -> None:
    http_only = {"MALFORMED_REQUEST"}  # bytes that are no message: gRPC's, in test_bad_input
    limits = {"TOO_MANY_STREAMS", "TOO_MANY_CALLS"}  # test_http_streams, test_caller_limits
    covered = set(FROM_THE_GATEWAY) | set(EDGE_ROWS) | {"INTERNAL"} | http_only | limits
    assert covered == set(doc_rows())
