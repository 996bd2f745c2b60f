"""POST /stripe/webhooks on the HTTP listener, over fakes of the provider's events and of the
ledger: no API key, 2xx only once recorded (or ignored), 4xx/5xx otherwise so Stripe delivers
again, refusals logged without the body; the route alone when the JSON routes are off. (The real
signature checks are the adapter's, tests/adapter; the real deliveries, tests/e2e.)"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from domain.errors import LedgerUnavailable
from domain.ledger import Observation, Recorded
from domain.money import Money
from domain.payment_status import PaymentStatus
from domain.product import Product
from service.composition import Service, running_service
from service.config import Settings
from tests.conftest import API_KEY
from tests.edge.conftest import settings_for
from tests.fake_events import FakeEvents, observation, product_changed
from tests.fake_gateway import FakeGateway
from tests.fake_ledger import FakeLedger

ROUTE = "/stripe/webhooks"
PRODUCT = Product(
    "prod_1", "Mug", "", "sku-1", "price_1", Money(500, "usd"), True, {}, datetime(2026, 1, 1)
)
SIGNED = {"Stripe-Signature": FakeEvents.SIGNATURE}


class BrokenLedger(FakeLedger):
    async def record(self, observation: Observation) -> Recorded:
        raise LedgerUnavailable("the database is down", retry_after_seconds=1)


EVENTS = FakeEvents()


def event(event_id: str, status: str = "SUCCEEDED", kind: str = "payment") -> bytes:
    """The body of a delivery of `event_id`, saying the checkout cs_1 is in `status`; of a
    kind the ledger does not use unless `kind` is "payment"."""
    delivered = observation("cs_1", PaymentStatus[status], event_id=event_id)
    return EVENTS.webhook(delivered if kind == "payment" else None)


@dataclass
class Intake:
    service: Service
    ledger: FakeLedger
    client: aiohttp.ClientSession

    async def post(
        self, body: bytes | io.BytesIO, headers: dict[str, str] | None = None, path: str = ROUTE
    ) -> tuple[int, Any]:
        url = f"http://{self.service.http_address}{path}"
        sent = {"Content-Type": "application/json", **(SIGNED if headers is None else headers)}
        async with self.client.post(url, data=body, headers=sent) as response:
            return response.status, await response.json()


@asynccontextmanager
async def serving(settings: Settings, ledger: FakeLedger) -> AsyncIterator[Intake]:
    async with (
        running_service(
            settings, gateway=FakeGateway(), ledger=ledger, events=EVENTS, grace_seconds=0
        ) as service,
        aiohttp.ClientSession() as client,
    ):
        yield Intake(service, ledger, client)


INTAKE_ON = {"webhook_intake": True, "webhook_secrets": ("whsec_test",)}


@pytest.fixture
async def intake() -> AsyncIterator[Intake]:
    async with serving(settings_for(**INTAKE_ON), FakeLedger()) as serving_intake:
        yield serving_intake


async def test_a_signed_event_is_recorded_before_the_2xx(intake: Intake) -> None:
    assert await intake.post(event("evt_1")) == (200, {"received": True, "outcome": "changed"})

    assert intake.ledger.payments["cs_1"].status is PaymentStatus.SUCCEEDED
    assert intake.ledger.event_ids == {"evt_1"}


async def test_a_redelivered_event_is_answered_2xx_and_changes_nothing(intake: Intake) -> None:
    await intake.post(event("evt_1"))

    assert await intake.post(event("evt_1")) == (200, {"received": True, "outcome": "duplicate"})


async def test_a_late_earlier_state_does_not_go_back(intake: Intake) -> None:
    await intake.post(event("evt_2", "SUCCEEDED"))

    status, answer = await intake.post(event("evt_1", "PROCESSING"))

    assert (status, answer["outcome"]) == (200, "unchanged")
    assert intake.ledger.payments["cs_1"].status is PaymentStatus.SUCCEEDED


async def test_an_event_kind_not_used_is_answered_2xx_and_ignored(intake: Intake) -> None:
    answer = await intake.post(event("evt_1", kind="customer.created"))

    assert answer == (200, {"received": True, "outcome": "ignored"})
    assert intake.ledger.event_ids == set()


async def test_a_product_change_makes_the_catalog_forget_the_product(intake: Intake) -> None:
    catalog = intake.service.catalog
    catalog.remember(PRODUCT)

    answer = await intake.post(EVENTS.webhook(product_changed(PRODUCT.id)))

    assert answer == (200, {"received": True, "outcome": "product_changed"})
    assert catalog.known(PRODUCT.id) is None
    assert intake.ledger.event_ids == set()  # nothing for the ledger


async def test_a_refused_delivery_is_a_400_logged_without_its_body(
    intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    body = event("evt_1")
    status, answer = await intake.post(body, headers={"Stripe-Signature": "t=1,v1=bad"})

    assert status == 400
    assert answer["details"][0]["reason"] == "WEBHOOK_REFUSED"
    assert intake.ledger.payments == {}
    refusals = [r.getMessage() for r in caplog.records if r.name == "service.webhooks"]
    assert refusals == ["webhook refused: the signature matches none of the webhook secrets"]
    assert all('"evt_1"' not in record.getMessage() for record in caplog.records)


async def test_a_missing_signature_is_refused(intake: Intake) -> None:
    status, answer = await intake.post(event("evt_1"), headers={})

    assert (status, answer["details"][0]["reason"]) == (400, "WEBHOOK_REFUSED")


async def test_no_api_key_is_asked_and_one_given_changes_nothing(intake: Intake) -> None:
    status, _ = await intake.post(event("evt_1"), headers={**SIGNED, "x-api-key": "wrong" * 5})

    assert status == 200


async def test_a_body_over_the_cap_is_refused_unread(intake: Intake) -> None:
    status, answer = await intake.post(io.BytesIO(b"{" + b" " * (1024 * 1024) + b"}"))

    assert (status, answer["details"][0]["reason"]) == (413, "BODY_TOO_LARGE")
    assert intake.ledger.event_ids == set()


async def test_a_ledger_that_cannot_record_gets_the_event_delivered_again() -> None:
    async with serving(settings_for(**INTAKE_ON), BrokenLedger()) as broken:
        status, answer = await broken.post(event("evt_1"))

    assert (status, answer["details"][0]["reason"]) == (503, "LEDGER_UNAVAILABLE")


async def test_a_draining_service_refuses_deliveries_for_stripe_to_retry(intake: Intake) -> None:
    await intake.service.server.refuse_new_calls(grace_seconds=0)

    status, answer = await intake.post(event("evt_1"))

    assert (status, answer["details"][0]["reason"]) == (503, "SHUTTING_DOWN")
    assert intake.ledger.event_ids == set()


async def test_the_webhook_route_can_be_served_alone() -> None:
    settings = settings_for(**INTAKE_ON, http_api=False)
    async with serving(settings, FakeLedger()) as alone:
        assert (await alone.post(event("evt_1")))[0] == 200
        for path in ("/v1/payments/cs_1", "/openapi.json", "/docs"):
            async with alone.client.get(
                f"http://{alone.service.http_address}{path}", headers={"x-api-key": API_KEY}
            ) as response:
                assert response.status == 404


async def test_without_the_intake_there_is_no_webhook_route() -> None:
    async with serving(settings_for(), FakeLedger()) as off:
        status, answer = await off.post(event("evt_1"))

    assert (status, answer["details"][0]["reason"]) == (404, "ROUTE_NOT_FOUND")
