"""The `payments-api` wheel (clients/python/) installs alone into a fresh venv, without the
server's dependencies, and examples/client.py runs on it against a live service."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from service.composition import running_service
from stripe_emulator.testing import serve
from tests.conftest import communicate
from tests.http.conftest import API_KEY, settings_for

REPO = Path(__file__).resolve().parents[2]
RUNTIME = ("grpcio", "protobuf", "googleapis-common-protos", "grpcio-status")
NOT_WANTED = ("stripe", "aiohttp", "service", "domain", "stripe_adapter", "stripe_emulator")

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel and its declared dependencies; its python."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is a dev dependency: run `make venv`"
    root = tmp_path_factory.mktemp("client")
    built = subprocess.run(
        [sys.executable, str(REPO / "clients/python/build_wheel.py"), "--out", str(root / "dist")],
        check=True,
        capture_output=True,
        text=True,
    )
    wheel = Path(built.stdout.strip().splitlines()[-1])
    assert wheel.name.startswith("payments_api-")
    assert wheel.suffix == ".whl"
    # The runtime versions the service itself is tested with, which `uv sync` left in uv's cache.
    constraints = root / "constraints.txt"
    constraints.write_text("".join(f"{name}=={metadata.version(name)}\n" for name in RUNTIME))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    venv = root / "venv"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--offline",  # tests stay on loopback: everything comes from uv's cache
            "--python",
            str(python),
            "-c",
            str(constraints),
            str(wheel),
        ],
        check=True,
        env=env,
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
    async with serve() as emulator, running_service(settings_for(emulator), grace_seconds=0) as svc:
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
