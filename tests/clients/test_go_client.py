"""The Go client (clients/go): message and gRPC stubs generated from the proto bundle by
protoc-gen-go and protoc-gen-go-grpc (tools/go_client.sh, offline against Debian's Go packages
from `make go-java-tools`), built with `go build` and run through the real service: CreateCustomer,
and a refusal's code and ErrorInfo reason read from the status details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.composition import Service
from stripe_emulator.testing import EmulatorHandle
from tests.clients.conftest import REPO, build, require, run_client
from tests.conftest import objects

GOPATH = Path("/usr/share/gocode/src")
UNPACKED = REPO / "build/debian/golang-protobuf-1.5/usr/share/gocode/src"
DEBIAN_SOURCES = [
    UNPACKED / "github.com/golang/protobuf/proto",
    GOPATH / "google.golang.org/grpc",
    GOPATH / "google.golang.org/genproto/googleapis/rpc/errdetails",
    GOPATH / "google.golang.org/protobuf/cmd/protoc-gen-go",
]

# A cold Go build cache (a fresh clone) compiles gRPC and protobuf first.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def client(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("Go", ["go", "protoc", "protoc-gen-go-grpc"], DEBIAN_SOURCES)
    out = build("go_client.sh", bundle, tmp_path_factory.mktemp("go"))
    return out / "bin" / "create_customer"


async def test_create_customer_from_go(
    client: Path, service: Service, emulator: EmulatorHandle, api_keys: tuple[str, str]
) -> None:
    status, out, err = await run_client(
        [str(client), service.address, "ada.lovelace@example.com", "Ada Lovelace"],
        api_keys[0],
        cwd=REPO,
    )

    assert status == 0, err
    customer = json.loads(out)
    assert customer["id"].startswith("cus_")
    assert (customer["email"], customer["name"]) == ("ada.lovelace@example.com", "Ada Lovelace")
    assert objects(emulator.stats(), "customer") == 1


async def test_a_wrong_key_reaches_go_with_its_reason(
    client: Path, service: Service, emulator: EmulatorHandle
) -> None:
    status, _, err = await run_client(
        [str(client), service.address, "a@b.co"], "not-a-key-of-this-service", cwd=REPO
    )

    assert status == 1
    assert err.startswith("Unauthenticated API_KEY_INVALID"), err
    assert objects(emulator.stats(), "customer") == 0


async def test_invalid_input_reaches_go_as_validation_failed(
    client: Path, service: Service, api_keys: tuple[str, str]
) -> None:
    status, _, err = await run_client(
        [str(client), service.address, "not-an-email"], api_keys[0], cwd=REPO
    )

    assert status == 1
    assert err.startswith("InvalidArgument VALIDATION_FAILED"), err
