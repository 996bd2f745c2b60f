"""docs/debugging.md is true: each `sh` block runs against a live server (the real service with
the Stripe emulator behind it), exits as the doc says and prints the output block shown after it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from payments.v1 import payments_pb2, payments_pb2_grpc
from tests.conftest import API_KEY, communicate, emulated_service

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs/debugging.md"
BIN = Path(sys.executable).parent  # the venv's bin: grpcurl is there

_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_EXIT = re.compile(r"^# exit status: (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    command: str
    expected_lines: tuple[str, ...]
    exit_status: int

    @property
    def label(self) -> str:
        lines = [line for line in self.command.splitlines() if not line.startswith("#")]
        return lines[0][:90]


def examples() -> list[Example]:
    """Each `sh` block with the `text` block that follows it."""
    blocks = [(m.group(1), m.group(2)) for m in _BLOCK.finditer(DOC.read_text())]
    found = []
    for i, (kind, body) in enumerate(blocks):
        if kind != "sh":
            continue
        following = blocks[i + 1][0] if i + 1 < len(blocks) else None
        assert following == "text", f"no output block after {body!r}"
        expected = tuple(line.strip() for line in blocks[i + 1][1].splitlines() if line.strip())
        match = _EXIT.search(body)
        found.append(Example(body, expected, int(match.group(1)) if match else 0))
    return found


def line_pattern(line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in line.split("…")))


@dataclass(frozen=True)
class Live:
    env: dict[str, str]


@pytest.fixture
async def live() -> AsyncIterator[Live]:
    """The service on 127.0.0.1:0 with the emulator behind it, and ids for the doc's variables."""
    async with emulated_service() as svc:
        async with grpc.aio.insecure_channel(svc.address) as channel:
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
        yield Live(
            {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "HOME": os.environ.get("HOME", "/tmp"),
                "ADDR": svc.address,
                "API_KEY": API_KEY,
                "CUSTOMER_ID": customer.customer.id,
                "PRODUCT_ID": product.product.id,
                "SESSION_ID": checkout.checkout_session_id,
            }
        )


def test_the_doc_has_a_grpcurl_line_for_every_rpc() -> None:
    commands = "\n".join(example.command for example in examples())
    service = payments_pb2.DESCRIPTOR.services_by_name["PaymentService"]

    for method in service.methods:
        assert f"{service.full_name}/{method.name}" in commands, method.name
    assert " list" in commands
    assert " describe " in commands
    assert "grpc.health.v1.Health/Check" in commands


async def test_every_documented_command_works_as_shown(live: Live) -> None:
    failures = []
    for example in examples():
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            example.command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=live.env,
        )
        raw, _ = await communicate(process, within=30)
        output = raw.decode()
        if process.returncode != example.exit_status:
            failures.append(
                f"{example.label}: exit {process.returncode}, doc says {example.exit_status}\n"
                f"{output}"
            )
            continue
        missing = [line for line in example.expected_lines if not line_pattern(line).search(output)]
        if missing:
            failures.append(f"{example.label}: output lacks {missing}\n{output}")
    assert not failures, "\n\n".join(failures)
