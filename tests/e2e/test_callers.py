"""Named callers (`PAYMENTS_API_KEYS=name=key,…`): keys of one name are one caller, so a key
rotation keeps request_id idempotency; different callers never share a request_id."""

from __future__ import annotations

import logging

import pytest

from payments.v1 import payments_pb2
from service.config import Settings, load_settings
from stripe_emulator.testing import EmulatorHandle
from tests.conftest import Stub, objects, service_env

OLD_KEY = "orders-key-old-0123456789abcdef"
NEW_KEY = "orders-key-new-fedcba9876543210"
BILLING_KEY = "billing-key-00112233445566778899"
BARE_KEY = "bare-key-aabbccddeeff00112233"


@pytest.fixture
def settings(emulator: EmulatorHandle) -> Settings:
    entries = (f"orders={OLD_KEY}", f"orders={NEW_KEY}", f"billing={BILLING_KEY}", BARE_KEY)
    return load_settings(service_env(emulator, entries))


def key(value: str) -> tuple[tuple[str, str], ...]:
    return (("x-api-key", value),)


async def test_rotating_keys_of_one_caller_keeps_the_request_id(
    stub: Stub, emulator: EmulatorHandle, caplog: pytest.LogCaptureFixture
) -> None:
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="rot-1")
    with caplog.at_level(logging.INFO):
        first = await stub.CreateCustomer(request, metadata=key(OLD_KEY), timeout=5)
        again = await stub.CreateCustomer(request, metadata=key(NEW_KEY), timeout=5)

    assert again.customer.id == first.customer.id
    assert objects(emulator.stats(), "customer") == 1
    rpc_lines = [r.getMessage() for r in caplog.records if r.name == "service.rpc"]
    assert rpc_lines, "the request log wrote no line"
    assert all("caller=orders" in line for line in rpc_lines), rpc_lines
    for secret in (OLD_KEY, NEW_KEY):
        assert secret not in caplog.text


async def test_two_callers_with_one_request_id_get_two_customers(
    stub: Stub, emulator: EmulatorHandle
) -> None:
    request = payments_pb2.CreateCustomerRequest(email="jane@example.com", request_id="same-1")
    orders = await stub.CreateCustomer(request, metadata=key(OLD_KEY), timeout=5)
    billing = await stub.CreateCustomer(request, metadata=key(BILLING_KEY), timeout=5)
    bare = await stub.CreateCustomer(request, metadata=key(BARE_KEY), timeout=5)

    assert len({orders.customer.id, billing.customer.id, bare.customer.id}) == 3
    assert objects(emulator.stats(), "customer") == 3
