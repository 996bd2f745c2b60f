"""Every row of docs/errors.md, provoked end to end through both doors.

The rows are parsed from the document itself, so a row without a scenario here fails, and a
scenario's code, ErrorInfo metadata keys and RetryInfo are checked against what its row says.
Each scenario runs over gRPC (a real channel) and over the HTTP/JSON door (a real listener) of
one service built by the composition root, with the emulator behind it; the HTTP status must be
grpc-gateway's for the row's code.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from domain.call import WriteOptions
from domain.customer import Customer, NewCustomer
from domain.errors import LedgerUnavailable
from domain.ledger import Observation, Payment, PaymentEventQuery, PaymentPage, PaymentQuery
from domain.payment_status import PaymentStatus
from domain.ports import PaymentGateway, PaymentLedger
from payments.v1 import payments_pb2, payments_pb2_grpc
from service.composition import Service, running_service
from service.config import Settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import (
    API_KEY,
    SECOND_API_KEY,
    objects,
    past_first_reconciliation,
    v1_requests,
    wait_until,
)
from tests.emulator.helpers import stripe_client
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
ROW = re.compile(r"^\| ([A-Z_]+) \| `([A-Z_]+)` \| (.*) \| (.*) \| (.*) \|$", re.MULTILINE)
STRIPE_KEYS = {"stripe_request_id", "stripe_error_code", "stripe_param"}
AUTH = (("x-api-key", API_KEY),)

# grpc-gateway's runtime.HTTPStatusFromCode, which issue 5 requires.
GATEWAY_HTTP_STATUS = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "NOT_FOUND": 404,
    "ALREADY_EXISTS": 409,
    "ABORTED": 409,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


@dataclass(frozen=True)
class DocRow:
    code: str
    reason: str
    retry: str
    keys: frozenset[str]


def doc_rows() -> list[DocRow]:
    rows = []
    for code, reason, _when, retry, keys in ROW.findall(DOC.read_text()):
        rows.append(DocRow(code, reason, retry, frozenset(re.findall(r"`([a-z_]+)`", keys))))
    return rows


@dataclass
class Call:
    """One request, sent through whichever door the test runs."""

    rpc: str
    request: Message | bytes
    metadata: tuple[tuple[str, str], ...] = AUTH
    timeout: float = 10
    after: Awaitable[Any] | None = None  # awaited once the call has been answered


@dataclass
class Ctx:
    door: str
    service: Service
    stub: Any
    emulator: EmulatorHandle


@dataclass
class Outcome:
    code: str
    message: str
    reason: str
    domain: str
    metadata: dict[str, str]
    retry_seconds: float | None
    violations: dict[str, str]
    http_status: int | None = None


@dataclass(frozen=True)
class Scenario:
    setup: Callable[[Ctx], Awaitable[Call]]
    required: frozenset[str] = frozenset()  # ErrorInfo metadata keys that must be there
    from_stripe: bool = False  # Stripe's request id must be kept
    doors: tuple[str, ...] = ("grpc", "http")
    overrides: dict[str, Any] = field(default_factory=dict)
    gateway: Callable[[], PaymentGateway] | None = None  # in place of Stripe's, when given
    ledger: Callable[[], PaymentLedger] | None = None  # in place of the SQLite one, when given
    check: Callable[[Ctx, Outcome], None] | None = None


# ---------------------------------------------------------------------------------------------
# Helpers that build state through the gRPC door or straight on the emulator.


async def a_customer(ctx: Ctx) -> str:
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com")
    return str((await ctx.stub.CreateCustomer(request, metadata=AUTH, timeout=5)).customer.id)


async def a_product(ctx: Ctx, sku: str = "SKU-1") -> str:
    request = payments_pb2.CreateProductRequest(
        name="T-shirt", unit_amount=2500, currency="usd", external_product_id=sku
    )
    return str((await ctx.stub.CreateProduct(request, metadata=AUTH, timeout=5)).product.id)


def customer(email: str = "jane@example.com", **fields: Any) -> Call:
    return Call("CreateCustomer", payments_pb2.CreateCustomerRequest(email=email, **fields))


# ---------------------------------------------------------------------------------------------
# One scenario (or more) per reason.


async def no_key(ctx: Ctx) -> Call:
    return replace(customer(), metadata=())


async def wrong_key(ctx: Ctx) -> Call:
    return replace(customer(), metadata=(("x-api-key", "not-a-key-of-this-service"),))


async def invalid_field(ctx: Ctx) -> Call:
    return customer(email="not-an-email")


def check_invalid_field(ctx: Ctx, outcome: Outcome) -> None:
    assert "email" in outcome.violations
    assert v1_requests(ctx.emulator.stats()) == 0


async def malformed_bytes(ctx: Ctx) -> Call:
    return Call("CreateCustomer", b"\x0a\x02\xff\xfe")  # field 1, invalid UTF-8


def check_malformed(ctx: Ctx, outcome: Outcome) -> None:
    assert set(outcome.violations) == {"request"}
    assert v1_requests(ctx.emulator.stats()) == 0


async def stripe_refuses_currency(ctx: Ctx) -> Call:
    # Three letters pass the proto's rule; only Stripe knows which codes it supports.
    request = payments_pb2.CreateProductRequest(
        name="Widget", unit_amount=100, currency="zzz", external_product_id="SKU-ZZZ"
    )
    return Call("CreateProduct", request)


def check_stripe_refusal(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.metadata["stripe_param"] == "default_price_data[currency]"


async def unknown_customer(ctx: Ctx) -> Call:
    product_id = await a_product(ctx)
    request = payments_pb2.CreateCheckoutRequest(product_id=product_id, customer_id="cus_nope")
    return Call("CreateCheckout", request)


async def unknown_product_by_id(ctx: Ctx) -> Call:
    return Call("GetProduct", payments_pb2.GetProductRequest(product_id="prod_nope"))


async def unknown_product_by_external_id(ctx: Ctx) -> Call:
    return Call("GetProduct", payments_pb2.GetProductRequest(external_product_id="NO-SUCH-SKU"))


async def unknown_session(ctx: Ctx) -> Call:
    return Call("GetPaymentStatus", payments_pb2.GetPaymentStatusRequest(id="cs_test_nope"))


async def unknown_intent(ctx: Ctx) -> Call:
    return Call("GetPaymentStatus", payments_pb2.GetPaymentStatusRequest(id="pi_nope"))


async def external_id_taken(ctx: Ctx) -> Call:
    await a_product(ctx, "SKU-TAKEN")
    request = payments_pb2.CreateProductRequest(
        name="Other", unit_amount=1, currency="usd", external_product_id="SKU-TAKEN"
    )
    return Call("CreateProduct", request)


def check_taken(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.metadata["external_product_id"] == "SKU-TAKEN"
    assert outcome.metadata["product_id"].startswith("prod_")
    assert objects(ctx.emulator.stats(), "product") == 1


async def request_id_reused(ctx: Ctx) -> Call:
    await ctx.stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(email="a@example.com", request_id="rid-1"),
        metadata=AUTH,
        timeout=5,
    )
    return customer(email="b@example.com", request_id="rid-1")


def check_reused(ctx: Ctx, outcome: Outcome) -> None:
    assert (outcome.metadata["request_id"], outcome.metadata["operation"]) == (
        "rid-1",
        "CreateCustomer",
    )
    assert objects(ctx.emulator.stats(), "customer") == 1


def sdk_stripe_product(ctx: Ctx, **params: Any) -> str:
    """A product made on Stripe (the emulator) by someone else, as an operator might."""
    client = stripe_client(ctx.emulator)
    created: Any = client.v1.products.create(params=cast(Any, {"name": "Legacy", **params}))
    return str(created.id)


async def archived_product(ctx: Ctx) -> Call:
    product_id = sdk_stripe_product(
        ctx, active=False, default_price_data={"currency": "usd", "unit_amount": 100}
    )
    request = payments_pb2.CreateCheckoutRequest(
        product_id=product_id, customer_id=await a_customer(ctx)
    )
    return Call("CreateCheckout", request)


async def product_without_price(ctx: Ctx) -> Call:
    product_id = sdk_stripe_product(ctx)
    request = payments_pb2.CreateCheckoutRequest(
        product_id=product_id, customer_id=await a_customer(ctx)
    )
    return Call("CreateCheckout", request)


def check_no_session(ctx: Ctx, outcome: Outcome) -> None:
    assert objects(ctx.emulator.stats(), "checkout.session") == 0


async def request_in_progress(ctx: Ctx) -> Call:
    ctx.emulator.add_fault(latency_ms=1500)
    request = payments_pb2.CreateCustomerRequest(email="a@example.com", request_id="rid-busy")
    first = asyncio.ensure_future(ctx.stub.CreateCustomer(request, metadata=AUTH, timeout=10))
    await wait_until(lambda: ctx.emulator.stats()["in_flight"] == 1)  # the first is at Stripe
    return Call("CreateCustomer", request, after=first)


def check_in_progress(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.metadata["stripe_error_code"] == "idempotency_key_in_use"
    assert outcome.retry_seconds == 1  # "retry shortly", said in RetryInfo


async def rate_limited(ctx: Ctx) -> Call:
    ctx.emulator.add_fault(
        path="/v1/customers", method="POST", status=429, times=100, retry_after=5
    )
    return replace(customer(), timeout=2)


def check_rate_limited(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.retry_seconds == 5  # Stripe's Retry-After, passed on
    assert objects(ctx.emulator.stats(), "customer") == 0


async def stripe_down(ctx: Ctx) -> Call:
    ctx.emulator.add_fault(path="/v1/customers", method="POST", status=500, times=100)
    return customer()


async def shutting_down(ctx: Ctx) -> Call:
    await ctx.service.server.refuse_new_calls(5)  # the first step of a graceful stop
    return customer()


def check_shutting_down(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.retry_seconds == 1
    assert v1_requests(ctx.emulator.stats()) == 0


REJECTED_STRIPE_KEY = "sk_test_rejected-by-stripe-9876"  # test-mode shaped; Stripe says no


async def stripe_refuses_our_key(ctx: Ctx) -> Call:
    return customer()


def check_safe_internal(ctx: Ctx, outcome: Outcome) -> None:
    assert "9876" not in outcome.message
    assert REJECTED_STRIPE_KEY not in str(outcome.metadata)
    assert "credentials" in outcome.message


async def deadline_passes_at_stripe(ctx: Ctx) -> Call:
    ctx.emulator.add_fault(latency_ms=3000)
    return replace(customer(), timeout=0.5)


class BrokenGateway(FakeGateway):
    """A gateway with a bug: the INTERNAL row is about failures nobody foresaw."""

    async def create_customer(self, new: NewCustomer, options: WriteOptions) -> Customer:
        raise ZeroDivisionError("secret internal detail")


async def unexpected_failure(ctx: Ctx) -> Call:
    return customer()


def check_internal(ctx: Ctx, outcome: Outcome) -> None:
    reference = outcome.metadata["reference"]
    assert outcome.message == f"internal error; reference {reference}"
    assert "secret" not in outcome.message


async def paid_checkout(ctx: Ctx) -> Call:
    request = payments_pb2.CreateCheckoutRequest(
        product_id=await a_product(ctx), customer_id=await a_customer(ctx)
    )
    checkout = await ctx.stub.CreateCheckout(request, metadata=AUTH, timeout=5)
    ctx.emulator.pay(checkout.checkout_session_id)
    expire = payments_pb2.ExpireCheckoutRequest(checkout_session_id=checkout.checkout_session_id)
    return Call("ExpireCheckout", expire)


class DownLedger(FakeLedger):
    """A ledger whose database cannot be reached."""

    async def list_payments(self, query: PaymentQuery) -> PaymentPage:
        raise LedgerUnavailable("the ledger's database is unreachable", retry_after_seconds=1)


async def ledger_down(ctx: Ctx) -> Call:
    return Call("ListPayments", payments_pb2.ListPaymentsRequest(customer_id="cus_1"))


def check_ledger_down(ctx: Ctx, outcome: Outcome) -> None:
    assert outcome.retry_seconds == 1
    assert v1_requests(ctx.emulator.stats()) == 0  # the ledger alone answers ListPayments


async def pruned_cursor(ctx: Ctx) -> Call:
    """A cursor the ledger no longer keeps: two payment events recorded in the service's own
    ledger, the first one's cursor taken, then every event pruned (retention)."""
    ledger = ctx.service.ledger
    for number in (1, 2):
        payment = Payment(f"cs_test_pruned_{number}", PaymentStatus.SUCCEEDED, datetime.now(UTC))
        await ledger.record(Observation(payment, payment.status_changed_at, f"evt_pr_{number}"))
    first = (await ledger.events(PaymentEventQuery(limit=1))).events[0]
    await ledger.prune(older_than=datetime.now(UTC) + timedelta(days=1))
    request = payments_pb2.ListPaymentEventsRequest(after_cursor=first.cursor)
    return Call("ListPaymentEvents", request)


async def a_second_stream(ctx: Ctx) -> Call:
    """A caller allowed one stream (`max_streams_per_caller` 1) holds one open over gRPC (its
    first event read: admitted) and asks for another; the first is cancelled afterwards."""
    payment = Payment("cs_test_streamed", PaymentStatus.SUCCEEDED, datetime.now(UTC))
    await ctx.service.ledger.record(Observation(payment, payment.status_changed_at, "evt_st_1"))
    request = payments_pb2.WatchPaymentEventsRequest()
    first = ctx.stub.WatchPaymentEvents(request, metadata=AUTH, timeout=30)
    assert isinstance(await first.read(), payments_pb2.WatchPaymentEventsResponse)
    return Call("WatchPaymentEvents", request, after=_cancelled(first))


async def a_second_call(ctx: Ctx) -> Call:
    """A caller allowed one call in flight (`max_calls_per_caller` 1) has one waiting on a slow
    Stripe (gRPC) and makes another; the first is cancelled afterwards."""
    ctx.emulator.add_fault(latency_ms=5000)
    first = ctx.stub.CreateCustomer(
        payments_pb2.CreateCustomerRequest(email="first@example.com"), metadata=AUTH, timeout=30
    )
    await wait_until(lambda: ctx.service.drain.in_flight == 1)
    return replace(customer(), after=_cancelled(first))


async def _cancelled(call: grpc.aio.Call) -> None:
    call.cancel()


SCENARIOS: dict[str, list[Scenario]] = {
    "API_KEY_MISSING": [Scenario(no_key)],
    "API_KEY_INVALID": [Scenario(wrong_key)],
    "VALIDATION_FAILED": [Scenario(invalid_field, check=check_invalid_field)],
    "MALFORMED_REQUEST": [Scenario(malformed_bytes, doors=("grpc",), check=check_malformed)],
    "STRIPE_INVALID_REQUEST": [
        Scenario(
            stripe_refuses_currency,
            required=frozenset({"stripe_request_id", "stripe_param"}),
            from_stripe=True,
            check=check_stripe_refusal,
        )
    ],
    "CUSTOMER_NOT_FOUND": [
        Scenario(unknown_customer, required=frozenset({"customer_id"}), from_stripe=True)
    ],
    "PRODUCT_NOT_FOUND": [
        Scenario(unknown_product_by_id, required=frozenset({"product_id"}), from_stripe=True),
        Scenario(
            unknown_product_by_external_id,
            required=frozenset({"external_product_id"}),
            from_stripe=True,
        ),
    ],
    "CHECKOUT_NOT_OPEN": [
        Scenario(paid_checkout, required=frozenset({"checkout_session_id"}), from_stripe=True)
    ],
    "CHECKOUT_SESSION_NOT_FOUND": [
        Scenario(unknown_session, required=frozenset({"checkout_session_id"}), from_stripe=True)
    ],
    "PAYMENT_INTENT_NOT_FOUND": [
        Scenario(unknown_intent, required=frozenset({"payment_intent_id"}), from_stripe=True)
    ],
    "EXTERNAL_PRODUCT_ID_TAKEN": [
        Scenario(
            external_id_taken,
            required=frozenset({"external_product_id", "product_id"}),
            from_stripe=True,
            check=check_taken,
        )
    ],
    "REQUEST_ID_REUSED": [
        Scenario(
            request_id_reused,
            required=frozenset({"request_id", "operation"}),
            from_stripe=True,
            check=check_reused,
        )
    ],
    "PRODUCT_NOT_PURCHASABLE": [
        Scenario(archived_product, required=frozenset({"product_id"}), check=check_no_session),
        Scenario(product_without_price, required=frozenset({"product_id"}), check=check_no_session),
    ],
    "REQUEST_IN_PROGRESS": [
        Scenario(
            request_in_progress,
            from_stripe=True,
            overrides={"stripe_max_network_retries": 0},
            check=check_in_progress,
        )
    ],
    "STRIPE_RATE_LIMITED": [
        Scenario(
            rate_limited,
            required=frozenset({"stripe_request_id"}),
            from_stripe=True,
            check=check_rate_limited,
        )
    ],
    "STRIPE_UNAVAILABLE": [
        Scenario(
            stripe_down,
            required=frozenset({"stripe_request_id"}),
            from_stripe=True,
            overrides={"stripe_max_network_retries": 0},
        )
    ],
    "SHUTTING_DOWN": [Scenario(shutting_down, check=check_shutting_down)],
    "STRIPE_AUTHENTICATION_FAILED": [
        Scenario(
            stripe_refuses_our_key,
            required=frozenset({"stripe_request_id"}),
            from_stripe=True,
            overrides={"stripe_secret_key": REJECTED_STRIPE_KEY},
            check=check_safe_internal,
        )
    ],
    # Over gRPC the caller's own deadline fires first, so the status is the client's (no
    # details): test_deadline_over_grpc_is_the_callers below. The HTTP door has no client-side
    # deadline, so the service's own answer (and its reason) arrives.
    "DEADLINE_EXCEEDED": [Scenario(deadline_passes_at_stripe, doors=("http",))],
    "LEDGER_UNAVAILABLE": [Scenario(ledger_down, ledger=DownLedger, check=check_ledger_down)],
    "CURSOR_EXPIRED": [Scenario(pruned_cursor, required=frozenset({"after_cursor"}))],
    "TOO_MANY_CALLS": [
        Scenario(
            a_second_call,
            required=frozenset({"limit"}),
            overrides={"max_calls_per_caller": 1},
        )
    ],
    "TOO_MANY_STREAMS": [
        Scenario(
            a_second_stream,
            required=frozenset({"limit_scope", "limit"}),
            overrides={"max_streams_per_caller": 1},
        )
    ],
    "INTERNAL": [
        Scenario(
            unexpected_failure,
            required=frozenset({"reference"}),
            check=check_internal,
            gateway=BrokenGateway,
        )
    ],
}


def cases() -> list[Any]:
    params = []
    for row in doc_rows():
        scenarios = SCENARIOS.get(row.reason)
        if not scenarios:
            params.append(pytest.param(row, None, "none", id=f"{row.reason}-NO-SCENARIO"))
            continue
        for number, scenario in enumerate(scenarios):
            for door in scenario.doors:
                params.append(pytest.param(row, scenario, door, id=f"{row.reason}-{number}-{door}"))
    return params


# ---------------------------------------------------------------------------------------------
# The two doors.


async def over_grpc(stub: Any, channel: grpc.aio.Channel, call: Call) -> Outcome:
    if isinstance(call.request, bytes):
        send: Any = channel.unary_unary(f"/payments.v1.PaymentService/{call.rpc}")
    else:
        send = getattr(stub, call.rpc)
    answer = send(call.request, metadata=call.metadata, timeout=call.timeout)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await (answer.read() if call.rpc.startswith("Watch") else answer)  # a stream's first
    error = raised.value
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status details on {error.code()}"
    assert status.code == error.code().value[0]
    outcome = Outcome(error.code().name, error.details() or "", "", "", {}, None, {})
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            outcome.reason, outcome.domain = info.reason, info.domain
            outcome.metadata = dict(info.metadata)
        elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            detail.Unpack(retry)
            outcome.retry_seconds = retry.retry_delay.ToTimedelta().total_seconds()
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            outcome.violations = {v.field: v.description for v in bad.field_violations}
    return outcome


def http_route(rpc: str, request: Message) -> tuple[str, str, Any]:
    """(method, path, JSON body) as the google.api.http rules of the proto say."""
    body = json_format.MessageToDict(request)
    if rpc == "CreateCustomer":
        return "POST", "/v1/customers", body
    if rpc == "CreateProduct":
        return "POST", "/v1/products", body
    if rpc == "CreateCheckout":
        return "POST", "/v1/payments/checkout", body
    if rpc == "GetPaymentStatus":
        return "GET", f"/v1/payments/{body['id']}", None
    if rpc == "ExpireCheckout":
        return "POST", f"/v1/payments/{body.pop('checkoutSessionId')}/expire", body
    if rpc == "WatchPaymentEvents":
        return "GET", "/v1/payment-events/watch", None
    if rpc == "ListPaymentEvents":
        return "GET", f"/v1/payment-events?afterCursor={body['afterCursor']}", None
    if rpc == "ListPayments":
        query = "&".join(f"{name}={value}" for name, value in body.items())
        return "GET", f"/v1/payments?{query}", None
    if rpc == "GetProduct" and "productId" in body:
        return "GET", f"/v1/products/{body['productId']}", None
    assert rpc == "GetProduct"
    return "GET", f"/v1/products?externalProductId={body['externalProductId']}", None


async def over_http(client: aiohttp.ClientSession, address: str, call: Call) -> Outcome:
    assert isinstance(call.request, Message)
    method, path, body = http_route(call.rpc, call.request)
    headers = dict(call.metadata)
    headers["X-Request-Timeout"] = str(call.timeout)
    async with client.request(
        method, f"http://{address}{path}", json=body, headers=headers
    ) as response:
        assert response.content_type == "application/json"
        status = await response.json()
    assert set(status) == {"code", "message", "details"}, status
    code = grpc.StatusCode.OK
    for candidate in grpc.StatusCode:
        if candidate.value[0] == status["code"]:
            code = candidate
    outcome = Outcome(code.name, status["message"], "", "", {}, None, {}, response.status)
    for detail in status["details"]:
        kind = detail["@type"].rpartition("/")[2]
        if kind == "google.rpc.ErrorInfo":
            outcome.reason, outcome.domain = detail["reason"], detail["domain"]
            outcome.metadata = detail.get("metadata", {})
        elif kind == "google.rpc.RetryInfo":
            outcome.retry_seconds = float(detail["retryDelay"].rstrip("s"))
        elif kind == "google.rpc.BadRequest":
            outcome.violations = {v["field"]: v["description"] for v in detail["fieldViolations"]}
    return outcome


@pytest.fixture
async def both_doors(settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    """Starts the service (with per-scenario settings) serving both doors."""
    started: list[Any] = []

    async def start(
        gateway: PaymentGateway | None, ledger: PaymentLedger | None, **overrides: Any
    ) -> Service:
        settings_here = replace(settings, http_addr="127.0.0.1:0", **overrides)
        lifecycle = running_service(settings_here, gateway=gateway, ledger=ledger)
        service = await lifecycle.__aenter__()
        started.append(lifecycle)
        return await past_first_reconciliation(service)

    yield start
    for lifecycle in started:
        await lifecycle.__aexit__(None, None, None)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture
def no_secret_in_any_log_line(
    caplog: pytest.LogCaptureFixture, emulator: EmulatorHandle
) -> Iterator[None]:
    """Every record the service and its libraries log while a scenario runs, at every level:
    none holds a caller's key, a Stripe key or an email address (the emulator, Stripe's
    stand-in, is not the service: its own records are left out)."""
    caplog.set_level(logging.DEBUG)
    for chatty in ("grpc", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=chatty)
    yield
    secrets = {API_KEY, SECOND_API_KEY, emulator.api_key, REJECTED_STRIPE_KEY}
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    assert records, "nothing was captured: the check below would prove nothing"
    for record in records:
        if record.name.startswith("stripe_emulator"):
            continue
        text = record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        assert not any(secret in text for secret in secrets), record.name
        assert not EMAIL.search(text), (record.name, text[:200])


@pytest.mark.parametrize(("row", "scenario", "door"), cases())
async def test_each_documented_error(
    row: DocRow,
    scenario: Scenario | None,
    door: str,
    emulator: EmulatorHandle,
    both_doors: Callable[..., Awaitable[Service]],
    no_secret_in_any_log_line: None,
) -> None:
    assert scenario is not None, f"docs/errors.md row {row.reason} has no end-to-end scenario"
    gateway = scenario.gateway() if scenario.gateway is not None else None
    ledger = scenario.ledger() if scenario.ledger is not None else None
    service = await both_doors(gateway, ledger, **scenario.overrides)
    async with (
        grpc.aio.insecure_channel(service.address) as channel,
        aiohttp.ClientSession() as client,
    ):
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        ctx = Ctx(door, service, stub, emulator)
        call = await scenario.setup(ctx)
        started = time.monotonic()
        if door == "grpc":
            outcome = await over_grpc(stub, channel, call)
        else:
            assert service.http_address is not None
            outcome = await over_http(client, service.http_address, call)
        elapsed = time.monotonic() - started
        if call.after is not None:
            await call.after

    assert (outcome.code, outcome.reason) == (row.code, row.reason), outcome
    assert outcome.domain == "payments.internal"
    assert outcome.message
    if door == "http":
        assert outcome.http_status == GATEWAY_HTTP_STATUS[row.code]
    # RetryInfo exactly where the row says to retry after it.
    assert (outcome.retry_seconds is not None) == ("RetryInfo" in row.retry), outcome
    if outcome.retry_seconds is not None:
        assert outcome.retry_seconds > 0
    assert elapsed < call.timeout + 1  # never outlives the caller's deadline
    # Metadata: the scenario's keys are there, and every key there is documented.
    assert scenario.required <= outcome.metadata.keys(), outcome.metadata
    allowed = row.keys | (STRIPE_KEYS if scenario.from_stripe else set())
    assert outcome.metadata.keys() <= allowed, outcome.metadata
    if scenario.from_stripe:
        assert outcome.metadata["stripe_request_id"].startswith("req_")
    if row.code == "INVALID_ARGUMENT" and not scenario.from_stripe:
        assert outcome.violations, "invalid input lists its fields in a BadRequest"
    if scenario.check is not None:
        scenario.check(ctx, outcome)


@pytest.mark.parametrize("row", doc_rows(), ids=lambda row: row.reason)
def test_scenarios_show_every_documented_metadata_key(row: DocRow) -> None:
    shown: set[str] = set()
    for scenario in SCENARIOS.get(row.reason, []):
        shown |= scenario.required
    assert row.keys <= shown, f"{row.reason}: no scenario shows {sorted(row.keys - shown)}"


def test_no_scenario_for_an_undocumented_reason() -> None:
    assert set(SCENARIOS) == {row.reason for row in doc_rows()}


async def test_deadline_over_grpc_is_the_callers(
    stub: Any, auth: tuple[tuple[str, str], ...], emulator: EmulatorHandle
) -> None:
    """The DEADLINE_EXCEEDED row over gRPC: the call ends at the caller's deadline, however long
    Stripe would take (the server side of the bound is shown by the HTTP door's scenario)."""
    emulator.add_fault(latency_ms=3000)
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.CreateCustomer(customer().request, metadata=auth, timeout=0.5)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 1.5
