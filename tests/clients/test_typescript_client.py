"""The TypeScript client (clients/typescript: protoc-gen-es stubs from the proto bundle, Connect's
gRPC transport over HTTP/2) runs CreateCustomer through the real service, and reads a refusal's
code and ErrorInfo reason. `make ts-client` (a prerequisite of `make test`) builds it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from service.composition import Service
from stripe_emulator.testing import EmulatorHandle
from tests.clients.conftest import run_client
from tests.conftest import objects

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "typescript"
SCRIPT = CLIENT / "dist" / "create_customer.js"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def node() -> str:
    found = shutil.which("node")
    assert found, "no node on PATH: run `make node`"
    assert SCRIPT.exists(), "the TypeScript client is not built: run `make ts-client`"
    return found


async def run_node(node: str, api_key: str, *args: str) -> tuple[int, str, str]:
    return await run_client([node, str(SCRIPT), *args], api_key, cwd=CLIENT)


async def test_create_customer_from_node(
    node: str, service: Service, emulator: EmulatorHandle, api_keys: tuple[str, str]
) -> None:
    status, out, err = await run_node(
        node, api_keys[0], service.address, "grace.hopper@example.com", "Grace Hopper"
    )

    assert status == 0, err
    customer = json.loads(out)
    assert customer["id"].startswith("cus_")
    assert (customer["email"], customer["name"]) == ("grace.hopper@example.com", "Grace Hopper")
    assert objects(emulator.stats(), "customer") == 1


async def test_a_refusal_reaches_node_with_its_reason(
    node: str, service: Service, emulator: EmulatorHandle
) -> None:
    status, _, err = await run_node(node, "not-a-key-of-this-service", service.address, "a@b.co")

    assert status == 1
    assert err.startswith("Unauthenticated API_KEY_INVALID"), err
    assert objects(emulator.stats(), "customer") == 0


async def test_invalid_input_reaches_node_as_validation_failed(
    node: str, service: Service, api_keys: tuple[str, str]
) -> None:
    status, _, err = await run_node(node, api_keys[0], service.address, "not-an-email")

    assert status == 1
    assert err.startswith("InvalidArgument VALIDATION_FAILED"), err
