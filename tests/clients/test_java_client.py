"""The Java client (clients/java): message classes from protoc's Java generator and the stub from
protoc-gen-grpc-java, generated from the proto bundle and compiled with javac against Debian's
protobuf-java and grpc-java jars (tools/java_client.sh, `make go-java-tools`), run through the
real service over grpc-netty: CreateCustomer, and a refusal's code and ErrorInfo reason read from
the status details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.composition import Service
from stripe_emulator.testing import EmulatorHandle
from tests.clients.conftest import REPO, build, require, run_client
from tests.conftest import objects

JARS = Path("/usr/share/java")
DEBIAN_JARS = [
    JARS / f"{jar}.jar"
    for jar in (
        "protobuf",
        "protobuf-util",
        "grpc-netty",
        "grpc-protobuf",
        "grpc-stub",
        "netty-codec-http2",
    )
]

# javac over the bundle's hundred generated classes.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def client(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs the compiled client."""
    require("Java", ["java", "javac", "protoc", "grpc_java_plugin"], DEBIAN_JARS)
    out = build("java_client.sh", bundle, tmp_path_factory.mktemp("java"))
    classpath = (out / "classpath").read_text().strip()
    # The client JIT alone and a small GC: a short run starts faster.
    return [
        "java",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-cp",
        classpath,
        "CreateCustomer",
    ]


async def test_create_customer_from_java(
    client: list[str], service: Service, emulator: EmulatorHandle, api_keys: tuple[str, str]
) -> None:
    status, out, err = await run_client(
        [*client, service.address, "alan.turing@example.com", "Alan Turing"], api_keys[0], REPO
    )

    assert status == 0, err
    customer = json.loads(out)
    assert customer["id"].startswith("cus_")
    assert (customer["email"], customer["name"]) == ("alan.turing@example.com", "Alan Turing")
    assert objects(emulator.stats(), "customer") == 1


async def test_a_wrong_key_reaches_java_with_its_reason(
    client: list[str], service: Service, emulator: EmulatorHandle
) -> None:
    status, _, err = await run_client(
        [*client, service.address, "a@b.co"], "not-a-key-of-this-service", REPO
    )

    assert status == 1
    assert err.startswith("UNAUTHENTICATED API_KEY_INVALID"), err
    assert objects(emulator.stats(), "customer") == 0


async def test_invalid_input_reaches_java_as_validation_failed(
    client: list[str], service: Service, api_keys: tuple[str, str]
) -> None:
    status, _, err = await run_client([*client, service.address, "not-an-email"], api_keys[0], REPO)

    assert status == 1
    assert err.startswith("INVALID_ARGUMENT VALIDATION_FAILED"), err
