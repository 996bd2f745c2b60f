"""Every runnable shell block of README.md and docs/*.md works as shown (see doc_blocks.py for
what is runnable): run in order, per document, against a live service (the real service with
its HTTP/JSON door and the Stripe emulator behind it), with the ids the docs tell the reader to
export, and a `make run` state file so that `make pay` finds that emulator."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from service.api_keys import MIN_API_KEY_LENGTH
from service.auth import ApiKey
from service.composition import running_service
from service.config import load_settings
from stripe_emulator.testing import serve
from tests.conftest import API_KEY, settings_over
from tests.docs.doc_blocks import DOCS, REPO, examples, failures_of, run_shell, settings_blocks
from tools.run import DEV_API_KEY

BIN = Path(sys.executable).parent  # the venv's bin: grpcurl is there

# What the ```bash blocks may set, with `make run`'s defaults: the test provides each itself.
MAKE_RUN_DEFAULTS = {
    "ADDR": "127.0.0.1:50051",
    "HTTP": "http://127.0.0.1:8080",
    "EMULATOR": "http://127.0.0.1:12111",
    "API_KEY": DEV_API_KEY,
    "PATH": f"{REPO}/.venv/bin:",  # a prefix
}

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
async def live_env(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """The service on 127.0.0.1:0 with the emulator behind it, and ids for the docs' variables."""
    async with (
        serve() as emulator,
        running_service(settings_over(emulator), grace_seconds=0) as svc,
    ):
        ids = await some_objects(svc.address)
        state = tmp_path / "run.json"
        state.write_text(
            json.dumps(
                {
                    "grpc_address": svc.address,
                    "http_address": svc.http_address,
                    "emulator_url": emulator.url,
                    "pages_url": "http://127.0.0.1:9",
                }
            )
        )
        yield {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "ADDR": svc.address,
            "HTTP": f"http://{svc.http_address}",
            "EMULATOR": emulator.url,
            "API_KEY": API_KEY,
            "PAYMENTS_RUN_STATE": str(state),
            **ids,
        }


async def some_objects(address: str) -> dict[str, str]:
    """A customer, a product and an open checkout: what the docs' readers have made by then."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = payments_pb2_grpc.PaymentServiceStub(channel)
        metadata = (("x-api-key", API_KEY),)
        customer = await stub.CreateCustomer(
            payments_pb2.CreateCustomerRequest(email="doc@example.com"), metadata=metadata
        )
        product = await stub.CreateProduct(
            payments_pb2.CreateProductRequest(
                name="Doc", unit_amount=100, currency="usd", external_product_id="SKU-DOC"
            ),
            metadata=metadata,
        )
        checkout = await stub.CreateCheckout(
            payments_pb2.CreateCheckoutRequest(
                product_id=product.product.id, customer_id=customer.customer.id
            ),
            metadata=metadata,
        )
    return {
        "CUSTOMER_ID": customer.customer.id,
        "PRODUCT_ID": product.product.id,
        "SESSION_ID": checkout.checkout_session_id,
    }


RUNNABLE = [doc for doc in DOCS if examples(doc)]


def test_the_debugging_doc_has_a_grpcurl_line_for_every_rpc() -> None:
    commands = "\n".join(example.command for example in examples(REPO / "docs/debugging.md"))
    service = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]

    for method in service.methods:
        assert f"{service.full_name}/{method.name}" in commands, method.name
    assert " list" in commands
    assert " describe " in commands
    assert "grpc.health.v1.Health/Check" in commands


def test_the_readme_and_the_guides_have_runnable_commands() -> None:
    names = {doc.name for doc in RUNNABLE}

    assert {"README.md", "debugging.md", "clients.md"} <= names


@pytest.mark.parametrize("doc", RUNNABLE, ids=[doc.name for doc in RUNNABLE])
async def test_every_runnable_command_works_as_shown(doc: Path, live_env: dict[str, str]) -> None:
    failures = [
        failure
        for example in examples(doc)
        if (failure := await failures_of(example, live_env)) is not None
    ]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("doc", DOCS, ids=[doc.name for doc in DOCS])
async def test_settings_blocks_hold_make_runs_defaults(doc: Path) -> None:
    before = {"PATH": os.environ["PATH"]}
    for block in settings_blocks(doc):
        status, output = await run_shell(f"{block}\nenv -0", before)
        assert status == 0, output
        exported = dict(line.split("=", 1) for line in output.split("\0") if "=" in line)
        for name, value in exported.items():
            if name in ("PWD", "SHLVL", "_", "OLDPWD") or before.get(name) == value:
                continue
            assert name in MAKE_RUN_DEFAULTS, f"{doc.name} sets {name}, which the test lacks"
            if name == "PATH":
                assert value.startswith(MAKE_RUN_DEFAULTS["PATH"]), value
            else:
                assert value == MAKE_RUN_DEFAULTS[name], f"{doc.name}: {name}={value}"


def test_the_readmes_example_keys_are_accepted() -> None:
    """The PAYMENTS_API_KEYS example a reader copies passes the service's own key rules."""
    readme = (REPO / "README.md").read_text()
    example = re.search(r"`PAYMENTS_API_KEYS` \| [^|]*?e\.g\. `([^`]+)`", readme)
    assert example, "README's PAYMENTS_API_KEYS row gives no example"

    settings = load_settings(
        {"PAYMENTS_API_KEYS": example.group(1), "STRIPE_SECRET_KEY": "sk_test_readme"}
    )

    assert [key.caller for key in settings.api_keys if isinstance(key, ApiKey)] == [
        "orders",
        "orders",
        "billing",
    ]
    assert f"at least {MIN_API_KEY_LENGTH} characters" in readme
