"""The `payments-api` wheel (clients/python/) installs alone into a fresh venv, without the
server's dependencies, and examples/client.py runs on it against a live service."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import API_KEY, communicate, emulated_service

REPO = Path(__file__).resolve().parents[2]
NOT_WANTED = ("stripe", "aiohttp", "service", "domain", "stripe_adapter", "stripe_emulator")

pytestmark = pytest.mark.timeout(300)


CLIENT_VENV = REPO / "build" / "client-venv"


@pytest.fixture(scope="module")
def client_venv() -> Path:
    """The python of `make client-venv`: a fresh venv with only the wheel and what it declares.

    `make test` builds it first (resolving from the registry, as `make venv` does); here it must
    hold the wheel of the current generated/ code, or the test would prove nothing.
    """
    python = CLIENT_VENV / "bin" / "python"
    assert python.exists(), "no client venv: run `make client-venv` (make test does)"
    installed = subprocess.run(
        [str(python), "-I", "-c", "import payments.v1.payments_pb2 as m; print(m.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    current = REPO / "generated" / "payments" / "v1" / "payments_pb2.py"
    assert Path(installed).read_bytes() == current.read_bytes(), (
        "the client venv holds an older wheel: run `make client-venv`"
    )
    return python


def test_the_wheel_brings_no_server_dependency(client_venv: Path) -> None:
    probe = (
        "import importlib.util as u, payments.v1.payments_pb2_grpc, buf.validate.validate_pb2;"
        f"print([m for m in {NOT_WANTED!r} if u.find_spec(m)])"
    )
    found = subprocess.run(
        [str(client_venv), "-I", "-c", probe], check=True, capture_output=True, text=True
    )

    assert found.stdout.strip() == "[]"


def test_the_wheel_ships_types(client_venv: Path) -> None:
    probe = (
        "import pathlib, payments, payments.v1 as v1;"
        "print((pathlib.Path(payments.__file__).parent / 'py.typed').exists(),"
        " (pathlib.Path(v1.__file__).parent / 'payments_pb2.pyi').exists())"
    )
    found = subprocess.run(
        [str(client_venv), "-I", "-c", probe], check=True, capture_output=True, text=True
    )

    assert found.stdout.split() == ["True", "True"]


async def test_the_example_runs_on_the_wheel_against_a_live_service(client_venv: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    async with emulated_service() as svc:
        process = await asyncio.create_subprocess_exec(
            str(client_venv),
            "-I",  # not the repo's packages: only what the venv has
            str(REPO / "examples/client.py"),
            "--target",
            svc.address,
            "--api-key",
            API_KEY,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=client_venv.parents[2],
        )
        out, err = await communicate(process, within=60)
        wrong_key = await asyncio.create_subprocess_exec(
            str(client_venv),
            "-I",
            str(REPO / "examples/client.py"),
            "--target",
            svc.address,
            "--api-key",
            "not-the-key-of-this-service",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        _, refused = await communicate(wrong_key, within=60)

    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0].startswith("customer cus_")
    assert lines[1].startswith("product prod_")
    assert lines[2].startswith("checkout cs_")
    assert lines[3] == "status PAYMENT_STATUS_OPEN"
    assert lines[4] == "no such product: prod_does_not_exist (PRODUCT_NOT_FOUND)"
    assert wrong_key.returncode == 2
    assert "API_KEY_INVALID" in refused.decode()


def test_the_wheel_carries_the_proto_bundle(client_venv: Path) -> None:
    probe = (
        "import importlib.resources as r;"
        "print(r.files('payments') / 'proto_bundle' / 'payments' / 'v1' / 'payments.proto')"
    )
    found = subprocess.run(
        [str(client_venv), "-I", "-c", probe], check=True, capture_output=True, text=True
    )
    shipped = Path(found.stdout.strip())

    assert shipped.read_bytes() == (REPO / "proto/payments/v1/payments.proto").read_bytes()
    bundle = shipped.parents[2]
    assert (bundle / "buf/validate/validate.proto").is_file()
    assert (bundle / "google/protobuf/timestamp.proto").is_file()
