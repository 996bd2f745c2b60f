"""Customers and products: success paths, idempotency, external-id uniqueness, lookups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.customer import NewCustomer
from domain.errors import ExternalProductIdTaken, NotFound, RequestIdReused
from domain.money import Money
from stripe_adapter.gateway import StripePaymentGateway
from stripe_adapter.product_ids import product_id_for
from stripe_emulator.testing import EmulatorHandle
from tests.adapter.conftest import api_requests, in_seconds, new_product, object_count, write


async def test_create_customer_returns_the_stored_customer(
    gateway: StripePaymentGateway,
) -> None:
    new = NewCustomer(email="ann@example.com", name="Ann", metadata={"crm": "42"})

    customer = await gateway.create_customer(new, write(deadline_in=5))

    assert customer.id.startswith("cus_")
    assert (customer.email, customer.name, dict(customer.metadata)) == (
        "ann@example.com",
        "Ann",
        {"crm": "42"},
    )
    assert customer.created_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - customer.created_at) < timedelta(minutes=1)


async def test_create_customer_without_name_or_metadata(gateway: StripePaymentGateway) -> None:
    customer = await gateway.create_customer(NewCustomer(email="bo@example.com"), write())

    assert (customer.name, dict(customer.metadata)) == ("", {})


async def test_same_idempotency_key_twice_returns_the_same_customer(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    new = NewCustomer(email="ann@example.com")

    first = await gateway.create_customer(new, write("key-1", request_id="r1"))
    second = await gateway.create_customer(new, write("key-1", request_id="r1"))

    assert first == second
    assert object_count(emulator, "customer") == 1


async def test_reused_key_with_other_parameters_is_request_id_reused(
    gateway: StripePaymentGateway,
) -> None:
    await gateway.create_customer(NewCustomer(email="ann@example.com"), write("key-1"))

    with pytest.raises(RequestIdReused) as caught:
        await gateway.create_customer(
            NewCustomer(email="bob@example.com"), write("key-1", request_id="r1")
        )

    assert caught.value.metadata["request_id"] == "r1"
    assert caught.value.metadata["operation"] == "CreateCustomer"
    assert caught.value.provider.request_id  # Stripe's request id is kept


async def test_create_product_creates_product_and_price_in_one_call(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    product = await gateway.create_product(new_product("sku-1"), write(operation="CreateProduct"))

    assert product.id == product_id_for("sku-1")
    assert product.external_product_id == "sku-1"
    assert product.price == Money(1500, "usd")
    assert product.price_id is not None
    assert product.price_id.startswith("price_")
    assert (product.name, product.description, product.active) == ("Widget", "A fine widget", True)
    assert dict(product.metadata) == {"team": "payments"}  # the reserved key is its own field
    assert api_requests(emulator) == {"POST /v1/products": 1}


async def test_create_product_without_description(gateway: StripePaymentGateway) -> None:
    product = await gateway.create_product(new_product(description=""), write())

    assert product.description == ""


async def test_derived_product_ids_are_stable_and_distinct() -> None:
    assert product_id_for("sku-1") == product_id_for("sku-1")
    assert product_id_for("sku-1") != product_id_for("sku-2")
    assert product_id_for("sku-1").startswith("prod_")


async def test_duplicate_external_id_is_taken_and_names_the_product(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    first = await gateway.create_product(new_product("sku-1"), write("k1"))

    with pytest.raises(ExternalProductIdTaken) as caught:
        await gateway.create_product(new_product("sku-1", name="Other"), write("k2"))

    assert caught.value.product_id == first.id
    assert caught.value.external_product_id == "sku-1"
    assert caught.value.provider.error_code == "resource_already_exists"
    assert object_count(emulator, "product") == 1


async def test_concurrent_creates_of_one_external_id_make_one_product(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    results = await asyncio.gather(
        *(gateway.create_product(new_product("sku-1"), write()) for _ in range(5)),
        return_exceptions=True,
    )

    created = [r for r in results if not isinstance(r, BaseException)]
    assert len(created) == 1
    assert all(isinstance(r, ExternalProductIdTaken) for r in results if r not in created)
    assert object_count(emulator, "product") == 1


async def test_retry_of_a_product_create_replays_instead_of_failing_as_taken(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    first = await gateway.create_product(new_product("sku-1"), write("same-key"))
    again = await gateway.create_product(new_product("sku-1"), write("same-key"))

    assert again == first
    assert object_count(emulator, "product") == 1


async def test_get_product_reads_product_and_price(gateway: StripePaymentGateway) -> None:
    created = await gateway.create_product(new_product("sku-1"), write())

    assert await gateway.get_product(created.id, in_seconds(5)) == created


async def test_get_unknown_product_is_not_found(gateway: StripePaymentGateway) -> None:
    with pytest.raises(NotFound) as caught:
        await gateway.get_product("prod_missing", in_seconds())

    assert (caught.value.kind, caught.value.object_id) == ("product", "prod_missing")
    assert caught.value.provider.error_code == "resource_missing"
    assert caught.value.provider.request_id


async def test_get_product_by_external_id(gateway: StripePaymentGateway) -> None:
    created = await gateway.create_product(new_product("sku-9"), write())

    assert await gateway.get_product_by_external_id("sku-9", in_seconds(5)) == created


async def test_get_product_by_unknown_external_id_is_not_found(
    gateway: StripePaymentGateway,
) -> None:
    await gateway.create_product(new_product("sku-1"), write())

    with pytest.raises(NotFound) as caught:
        await gateway.get_product_by_external_id("sku-2", in_seconds())

    assert (caught.value.kind, caught.value.object_id) == ("product", "sku-2")
    assert "product with external_product_id 'sku-2' does not exist" in str(caught.value)
    assert caught.value.metadata["external_product_id"] == "sku-2"


async def test_calls_reuse_one_pooled_connection(
    gateway: StripePaymentGateway, emulator: EmulatorHandle
) -> None:
    before = emulator.stats()["connections"]  # each stats() call is a connection of its own

    for n in range(5):
        await gateway.create_customer(NewCustomer(email=f"c{n}@example.com"), write())

    assert emulator.stats()["connections"] - before == 2  # the gateway's one + this stats()
